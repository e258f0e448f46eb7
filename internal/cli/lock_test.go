package cli_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/idpgen/idpgen/internal/cli"
	"github.com/idpgen/idpgen/internal/synth"
	"github.com/idpgen/idpgen/internal/writer"
)

// TestConcurrentRenders runs two real `idpgen render` processes of
// different platforms on one tree. The first is frozen (SIGSTOP) while it
// holds the lock, in the middle of writing; the second must then fail with
// exit 4 naming the first one's pid, and `render --check` must refuse to
// compare a tree being written. Resumed, the first finishes and the tree is
// exactly its platform. Killed instead (SIGKILL), it releases the lock: the
// stale lock file does not stop the next render.
func TestConcurrentRenders(t *testing.T) {
	if testing.Short() {
		t.Skip("renders a 150-service platform in child processes")
	}
	dir := t.TempDir()
	if err := seedModule(dir); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	if err := synth.Write("big", synth.Options{Services: 150, Environments: 3}); err != nil {
		t.Fatal(err)
	}
	if err := synth.Write("small", synth.Options{Services: 5, Environments: 2}); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (int, string) {
		var stderr bytes.Buffer
		code := cli.Run(args, &bytes.Buffer{}, &stderr)
		return code, stderr.String()
	}
	if code, stderr := run("render", "--platform", "big", "--out", "want-big"); code != 0 {
		t.Fatal(stderr)
	}
	wantBig := snapshot(t, "want-big")

	// frozen starts a render of big into generated/ and stops it while it
	// holds the lock (a few tries: a render may finish between two polls).
	frozen := func() *exec.Cmd {
		for range 5 {
			os.RemoveAll("generated")
			cmd := exec.Command(os.Args[0], "render", "--platform", "big")
			cmd.Env = append(os.Environ(), "IDPGEN_CLI_CHILD=1")
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			lock := filepath.Join("generated", writer.LockName)
			deadline := time.Now().Add(time.Minute)
			for time.Now().Before(deadline) {
				if _, err := os.Lstat(lock); err == nil {
					cmd.Process.Signal(syscall.SIGSTOP)
					// The file exists a moment before the flock on it is
					// taken, and the flock a moment before the pid is
					// written: stopped in between, the render holds
					// nothing, or holds it without saying who it is.
					if lockHeld(lock) && lockNames(lock, cmd.Process.Pid) {
						return cmd
					}
					cmd.Process.Signal(syscall.SIGCONT)
				}
				time.Sleep(time.Millisecond)
			}
			cmd.Wait()
		}
		t.Fatal("never caught the render holding its lock")
		return nil
	}

	a := frozen()
	code, stderr := run("render", "--platform", "small")
	want := fmt.Sprintf("idpgen: another idpgen render is running on generated (pid %d); wait for it to finish and run again\n", a.Process.Pid)
	if code != cli.ExitFailure || stderr != want {
		t.Errorf("second render: exit %d, stderr %q; want exit 4, %q", code, stderr, want)
	}
	if code, stderr := run("render", "--check", "--platform", "big"); code != cli.ExitFailure || !strings.Contains(stderr, "another idpgen render is running") {
		t.Errorf("check during a render: exit %d, %s", code, stderr)
	}
	a.Process.Signal(syscall.SIGCONT)
	if err := a.Wait(); err != nil {
		t.Fatalf("the first render failed: %v", err)
	}
	if got := snapshot(t, "generated"); !sameFiles(got, wantBig) {
		t.Fatal("after the first render finished, the tree is not its platform")
	}
	if code, stderr := run("render", "--check", "--platform", "big"); code != 0 {
		t.Fatal(stderr)
	}

	// Killed while holding the lock: the kernel releases it.
	a = frozen()
	a.Process.Signal(syscall.SIGKILL)
	a.Wait()
	if _, err := os.Lstat(filepath.Join("generated", writer.LockName)); err != nil {
		t.Fatalf("the killed render should have left its lock file: %v", err)
	}
	if code, stderr := run("render", "--platform", "small"); code != 0 {
		t.Fatalf("render after a killed one: %s", stderr)
	}
	if code, stderr := run("render", "--check", "--platform", "small"); code != 0 {
		t.Fatal(stderr)
	}
	if _, err := os.Lstat(filepath.Join("generated", writer.LockName)); err == nil {
		t.Error("the lock file outlived the render that took it over")
	}
}

// lockHeld reports whether some process holds the flock on the file at
// name, by trying to take it without waiting.
// lockNames reports whether the lock file at name holds pid.
func lockNames(name string, pid int) bool {
	b, err := os.ReadFile(name)
	return err == nil && strings.TrimSpace(string(b)) == strconv.Itoa(pid)
}

func lockHeld(name string) bool {
	f, err := os.Open(name)
	if err != nil {
		return false
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return err == syscall.EWOULDBLOCK
	}
	syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return false
}
