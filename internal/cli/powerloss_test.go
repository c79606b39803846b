package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"openboards/internal/powerloss"
)

// TestPowerLossLosesNothingAcknowledged runs a server with its SQLite
// database on a file system that keeps only what was fsynced, kills it
// under sustained write load, cuts the power (drops every unsynced write)
// and checks that a server started on what is left has every acknowledged
// ticket, none half-written, in a database that passes its integrity
// check. It holds only because every commit is fsynced before its answer:
// with synchronous=NORMAL or OFF acknowledged tickets are lost.
func TestPowerLossLosesNothingAcknowledged(t *testing.T) {
	powerloss.Skip(t)
	mnt := t.TempDir()
	fsys, err := powerloss.Mount(mnt)
	if err != nil {
		t.Fatal(err)
	}
	mounted := true
	unmount := func() {
		if mounted {
			mounted = false
			if err := fsys.Unmount(); err != nil {
				t.Errorf("unmount: %v", err)
			}
		}
	}
	t.Cleanup(unmount)
	db := filepath.Join(mnt, "openboards.db")
	var cr credentials
	if err := json.Unmarshal(runCLI(t, "community", "create", "Power", "--db", db, "--json"), &cr); err != nil {
		t.Fatal(err)
	}
	cmd, base := startProcess(t, db)
	load := startLoad(base, accessToken(t, base, cr), 8, crashAcked)
	load.waitBusy(t)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	acked := load.finish()

	img := t.TempDir()
	if err := fsys.Cut(img); err != nil {
		t.Fatal(err)
	}
	unmount()
	names, _ := os.ReadDir(img)
	for _, n := range names {
		info, _ := n.Info()
		t.Logf("after the cut: %s, %d bytes", n.Name(), info.Size())
	}
	db = filepath.Join(img, "openboards.db")
	cmd, base = startProcess(t, db)
	checkTickets(t, &client{t: t, base: base, token: accessToken(t, base, cr)}, acked)
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	integrityCheck(t, db)
	t.Logf("checked %d acknowledged tickets after the power cut", len(acked))
}
