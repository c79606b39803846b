//go:build linux

package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"openboards/internal/openboards"
)

func ioctl(f *os.File, req uint, arg unsafe.Pointer) error {
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), uintptr(req), uintptr(arg)); errno != 0 {
		return errno
	}
	return nil
}

// openPTY returns a new pseudo-terminal: the master, where the test types
// and reads the screen, and the terminal the command gets as stdin.
func openPTY(t *testing.T) (master, tty *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	var unlock int32
	if err := ioctl(master, syscall.TIOCSPTLCK, unsafe.Pointer(&unlock)); err != nil {
		t.Fatal(err)
	}
	var n uint32
	if err := ioctl(master, syscall.TIOCGPTN, unsafe.Pointer(&n)); err != nil {
		t.Fatal(err)
	}
	tty, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tty.Close() })
	return master, tty
}

// echoing reports whether the terminal echoes what is typed.
func echoing(t *testing.T, tty *os.File) bool {
	t.Helper()
	var tio syscall.Termios
	if err := ioctl(tty, syscall.TCGETS, unsafe.Pointer(&tio)); err != nil {
		t.Fatal(err)
	}
	return tio.Lflag&syscall.ECHO != 0
}

// ttySession runs one teammate password command on a terminal.
type ttySession struct {
	t      *testing.T
	master *os.File
	tty    *os.File
	screen *syncBuffer // what the terminal displayed
	stderr *syncBuffer
	done   chan int
}

func startTTY(t *testing.T, args ...string) *ttySession {
	master, tty := openPTY(t)
	s := &ttySession{t: t, master: master, tty: tty, screen: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan int, 1)}
	go io.Copy(s.screen, master)
	go func() {
		s.done <- Main(context.Background(), args, Env{Stdin: tty, Stdout: io.Discard, Stderr: s.stderr, Getenv: func(string) string { return "" }})
	}()
	return s
}

// typeAt waits until the command has printed prompt and turned echo off,
// then types line.
func (s *ttySession) typeAt(prompt, line string) {
	s.t.Helper()
	for !strings.Contains(s.stderr.String(), prompt) || echoing(s.t, s.tty) {
		select {
		case code := <-s.done:
			s.t.Fatalf("the command ended (exit %d) before prompting %q with echo off:\n%s", code, prompt, s.stderr.String())
		case <-time.After(5 * time.Millisecond):
		}
	}
	if _, err := s.master.Write([]byte(line + "\n")); err != nil {
		s.t.Fatal(err)
	}
}

// finish waits for the command's exit status and returns it with all the
// terminal displayed.
func (s *ttySession) finish() (int, string) {
	s.t.Helper()
	code := <-s.done
	// What the terminal shows arrives in order: once this marker is on
	// the screen, every echo of what was typed before it is too.
	const marker = "--end of session--"
	if _, err := s.tty.Write([]byte(marker + "\n")); err != nil {
		s.t.Fatal(err)
	}
	for !strings.Contains(s.screen.String(), marker) {
		time.Sleep(5 * time.Millisecond)
	}
	return code, s.screen.String()
}

func TestTeammatePasswordAtTerminal(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "password.db")
	runCLI(t, "community", "create", "Acme", "--db", db)
	runCLI(t, "teammate", "add", "--community", "Acme", "--email", "ann@acme.test", "--name", "Ann Admin", "--db", db)
	set := []string{"teammate", "password", "--community", "Acme", "--email", "ann@acme.test", "--db", db}
	const pw = "correct horse battery staple"

	// Prompted twice, with the rule stated and nothing echoed.
	s := startTTY(t, set...)
	s.typeAt("New password: ", pw)
	s.typeAt("The same password again: ", pw)
	code, screen := s.finish()
	if code != ExitOK {
		t.Fatalf("exit %d:\n%s", code, s.stderr.String())
	}
	if !strings.Contains(s.stderr.String(), "The password needs at least 10 characters") {
		t.Errorf("the prompt does not state the rule:\n%s", s.stderr.String())
	}
	if strings.Contains(screen, pw) || strings.Contains(s.stderr.String(), pw) {
		t.Errorf("the password was echoed: %q", screen)
	}
	if echoing(t, s.tty) != true {
		t.Errorf("the terminal was left without echo")
	}
	if err := signIn(t, db, "ann@acme.test", pw); err != nil {
		t.Fatalf("sign-in with the new password: %v", err)
	}

	// Two different entries change nothing.
	s = startTTY(t, set...)
	s.typeAt("New password: ", "another good password")
	s.typeAt("The same password again: ", "another good passw0rd")
	if code, _ := s.finish(); code != ExitFailure || !strings.Contains(s.stderr.String(), "openboards: password: the two entries differ") {
		t.Errorf("different entries: exit %d:\n%s", code, s.stderr.String())
	}
	// A password against the rule is refused at once, before the second
	// prompt.
	s = startTTY(t, set...)
	s.typeAt("New password: ", "short")
	if code, _ := s.finish(); code != ExitFailure || strings.Contains(s.stderr.String(), "again") ||
		!strings.Contains(s.stderr.String(), "openboards: password: at least 10 characters") {
		t.Errorf("a short password: exit %d:\n%s", code, s.stderr.String())
	}
	if err := signIn(t, db, "ann@acme.test", pw); err != nil {
		t.Fatalf("a refused entry replaced the password: %v", err)
	}
	if err := signIn(t, db, "ann@acme.test", "another good password"); openboards.ErrorCode(err) != openboards.CodeUnauthorized {
		t.Fatalf("sign-in with a refused entry: %v", err)
	}
}
