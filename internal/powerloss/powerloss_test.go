package powerloss

import (
	"os"
	"path/filepath"
	"testing"
)

func mount(t *testing.T) (*FS, string) {
	t.Helper()
	Skip(t)
	mnt := t.TempDir()
	f, err := Mount(mnt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := f.Unmount(); err != nil {
			t.Errorf("unmount: %v", err)
		}
	})
	return f, mnt
}

// TestCutKeepsOnlySyncedState: after a cut, a file holds what it held at
// its last fsync, a file never fsynced (nor its directory) is gone, and a
// removal counts once the directory is fsynced.
func TestCutKeepsOnlySyncedState(t *testing.T) {
	f, mnt := mount(t)
	synced, err := os.Create(filepath.Join(mnt, "synced"))
	if err != nil {
		t.Fatal(err)
	}
	synced.WriteString("durable")
	if err := synced.Sync(); err != nil {
		t.Fatal(err)
	}
	synced.WriteAt([]byte("LOST"), 2)
	synced.WriteString(" and more")
	synced.Close()
	if err := os.WriteFile(filepath.Join(mnt, "unsynced"), []byte("gone"), 0o600); err != nil {
		t.Fatal(err)
	}
	removed, err := os.Create(filepath.Join(mnt, "removed"))
	if err != nil {
		t.Fatal(err)
	}
	removed.WriteString("x")
	removed.Sync()
	removed.Close()
	if err := os.Remove(filepath.Join(mnt, "removed")); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(mnt, "synced")); string(got) != "duLOSTe and more" {
		t.Fatalf("before the cut the file reads %q", got)
	}

	img := t.TempDir()
	if err := f.Cut(img); err != nil {
		t.Fatal(err)
	}
	names := func() []string {
		ents, _ := os.ReadDir(img)
		var out []string
		for _, e := range ents {
			out = append(out, e.Name())
		}
		return out
	}
	if got, err := os.ReadFile(filepath.Join(img, "synced")); err != nil || string(got) != "durable" {
		t.Errorf("after the cut the synced file reads %q, %v; want what it held at its fsync", got, err)
	}
	if got := names(); len(got) != 2 || got[0] != "removed" || got[1] != "synced" {
		t.Errorf("after the cut: %v, want the removal not yet durable and no unsynced file", got)
	}

	d, err := os.Open(mnt)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Sync(); err != nil {
		t.Fatal(err)
	}
	d.Close()
	img = t.TempDir()
	if err := f.Cut(img); err != nil {
		t.Fatal(err)
	}
	if got := names(); len(got) != 2 || got[0] != "synced" || got[1] != "unsynced" {
		t.Errorf("after the directory's fsync: %v, want the removal durable and every name kept", got)
	}
	if got, _ := os.ReadFile(filepath.Join(img, "unsynced")); len(got) != 0 {
		t.Errorf("a file whose contents were never fsynced reads %q after the cut, want it empty", got)
	}
}
