package cli_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/idpgen/idpgen/internal/cli"
	"github.com/idpgen/idpgen/internal/synth"
	"github.com/idpgen/idpgen/internal/writer"
)

// snapshot reads every file below dir except the writer's temporary files
// and journal.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if strings.HasSuffix(rel, ".idpgen-tmp") || filepath.Base(rel) == writer.JournalName || filepath.Base(rel) == writer.LockName {
			return nil
		}
		b, err := os.ReadFile(p)
		out[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// dirsOf lists every directory below dir.
func dirsOf(t *testing.T, dir string) string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(out, "\n")
}

// journalState is the state an interrupted render recorded in its journal
// ("prepared" before the commit point, "committed" after), or "" if none.
func journalState(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, writer.JournalName))
	if errors.Is(err, fs.ErrNotExist) {
		return ""
	}
	var j struct {
		State string `json:"state"`
	}
	if err == nil {
		err = json.Unmarshal(b, &j)
	}
	if err != nil {
		t.Fatal(err)
	}
	return j.State
}

func sameFiles(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || v != w {
			return false
		}
	}
	return true
}

// TestRenderKilledFromOutside kills `idpgen render` (the real command, in
// its own process) with SIGKILL at times spread over a render of a
// 150-service platform. Whatever the instant: every file on disk is either
// its old or its new version (never truncated); without a journal the tree
// is exactly the old one; with one, the next render completes the new one;
// and `render --check` then passes. Every other time the CUE is reverted
// before that render, which must then leave exactly the old tree.
func TestRenderKilledFromOutside(t *testing.T) {
	if testing.Short() {
		t.Skip("renders a 150-service platform many times")
	}
	dir := t.TempDir()
	if err := seedModule(dir); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	oldOpts := synth.Options{Services: 150, Environments: 3}
	newOpts := oldOpts
	newOpts.Services = 140 // 10 services removed: deletes as well as writes

	render := func(args ...string) error {
		var stderr bytes.Buffer
		if code := cli.Run(append([]string{"render", "--platform", "platform"}, args...), &bytes.Buffer{}, &stderr); code != 0 {
			return errors.New(stderr.String())
		}
		return nil
	}
	// The two trees a killed render may leave pieces of.
	if err := synth.Write("platform", newOpts); err != nil {
		t.Fatal(err)
	}
	if err := render("--out", "want-new"); err != nil {
		t.Fatal(err)
	}
	wantNew := snapshot(t, "want-new")
	os.RemoveAll("platform")
	if err := synth.Write("platform", oldOpts); err != nil {
		t.Fatal(err)
	}
	if err := render("--out", "want-old"); err != nil {
		t.Fatal(err)
	}
	wantOld := snapshot(t, "want-old")

	// How long an uninterrupted render takes in a child process, like the
	// ones that will be killed (this VM's disk speed varies a lot).
	child := func(out string) *exec.Cmd {
		cmd := exec.Command(os.Args[0], "render", "--platform", "platform", "--out", out)
		cmd.Env = append(os.Environ(), "IDPGEN_CLI_CHILD=1")
		return cmd
	}
	start := time.Now()
	if out, err := child("timing").CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	full := time.Since(start)

	committed, uncommitted := 0, 0
	for i := range 8 {
		os.RemoveAll("generated")
		os.RemoveAll("platform")
		synth.Write("platform", oldOpts)
		if err := render(); err != nil {
			t.Fatal(err)
		}
		os.RemoveAll("platform")
		synth.Write("platform", newOpts)

		cmd := child("generated")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Geometrically from early in evaluation (certainly before the
		// commit point) to past the end of writing. Every step of the
		// writer itself is killed deterministically in internal/writer.
		delay := full * time.Duration(1<<i) / 64 // 1/64 .. 2 x full
		time.Sleep(delay)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()

		got := snapshot(t, "generated")
		for p, content := range got {
			if content != wantOld[p] && content != wantNew[p] {
				t.Fatalf("kill after %v: %s is neither its old nor its new version", delay, p)
			}
		}
		switch state := journalState(t, "generated"); {
		case state == "committed":
			committed++
		case state == "prepared":
			uncommitted++
			if !sameFiles(got, wantOld) {
				t.Fatalf("kill after %v: killed before the commit point, but the tree is not the old one", delay)
			}
		case sameFiles(got, wantNew):
			committed++ // finished before the kill
		case sameFiles(got, wantOld):
			uncommitted++
		default:
			t.Fatalf("kill after %v: no journal, and the tree is neither old nor new", delay)
		}
		if journalState(t, "generated") != "" {
			if err := render("--check"); err == nil {
				t.Fatal("check passed while a render was pending")
			}
		}
		// Every other time, the CUE is reverted before the next render
		// (the user gave up on the change): that render finishes or rolls
		// back the killed one, then renders the platform as it is now.
		want, wantDir := wantNew, "want-new"
		if i%2 == 1 {
			os.RemoveAll("platform")
			synth.Write("platform", oldOpts)
			want, wantDir = wantOld, "want-old"
		}
		if err := render(); err != nil {
			t.Fatal(err)
		}
		if err := render("--check"); err != nil {
			t.Fatalf("after finishing the render: %v", err)
		}
		if final := snapshot(t, "generated"); !sameFiles(final, want) {
			t.Fatalf("kill after %v: the render after it differs from a clean render of the current platform", delay)
		}
		// No directory the killed render created is left empty.
		if got, want := dirsOf(t, "generated"), dirsOf(t, wantDir); got != want {
			t.Fatalf("kill after %v: directories differ from a clean render:\n%s\nwant:\n%s", delay, got, want)
		}
	}
	t.Logf("render takes %v; %d kills left the old tree, %d a committed or finished one", full, uncommitted, committed)
	if uncommitted == 0 {
		t.Error("no kill landed before the commit point; the test is not exercising it")
	}
}
