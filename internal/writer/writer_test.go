package writer

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/idpgen/idpgen/internal/tree"
)

// TestMain doubles as the child process of the kill tests: with
// IDPGEN_WRITER_CHILD set, it applies the "new" tree to the directory named
// there and kills itself with SIGKILL at step IDPGEN_WRITER_CRASH_AT.
func TestMain(m *testing.M) {
	if dir := os.Getenv("IDPGEN_WRITER_CHILD"); dir != "" {
		crashAt, _ := strconv.Atoi(os.Getenv("IDPGEN_WRITER_CRASH_AT"))
		var n atomic.Int64
		step = func(string) {
			if n.Add(1) == int64(crashAt) {
				syscall.Kill(os.Getpid(), syscall.SIGKILL)
			}
		}
		if err := apply(dir, newTree()); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func yamlFile(content string) []byte { return []byte("# " + tree.Marker + "\n" + content + "\n") }

func makeTree(files map[string]string) *tree.Tree {
	t := tree.New()
	for p, c := range files {
		if err := t.Add("test", p, yamlFile(c)); err != nil {
			panic(err)
		}
	}
	return t
}

// oldTree and newTree differ in every way a render can: files change, stay,
// appear and disappear (with their directory).
func oldTree() *tree.Tree {
	files := map[string]string{"keep/same.yaml": "same", "gone/only.yaml": "old"}
	for i := range 20 {
		files[fmt.Sprintf("svc/%02d/deploy.yaml", i)] = fmt.Sprintf("old %d", i)
	}
	return makeTree(files)
}

func newTree() *tree.Tree {
	files := map[string]string{"keep/same.yaml": "same", "added/new.yaml": "new"}
	for i := range 20 {
		files[fmt.Sprintf("svc/%02d/deploy.yaml", i)] = fmt.Sprintf("new %d", i)
	}
	return makeTree(files)
}

func apply(dir string, t *tree.Tree) error {
	p, err := NewPlan(dir, t)
	if err != nil {
		return err
	}
	return p.Apply()
}

// disk reads every file below dir, leaving out the writer's own temporary
// files and journal.
func disk(t *testing.T, dir string) map[string]string {
	t.Helper()
	files, err := walk(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for p, e := range files {
		if strings.HasSuffix(p, tempSuffix) || p == JournalName || p == LockName || e.dir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		out[p] = string(b)
	}
	return out
}

// want is what disk must hold after applying tr: its files and manifest.
func want(tr *tree.Tree) map[string]string {
	out := map[string]string{ManifestName: string(ManifestOf(tr).encode())}
	for _, f := range tr.Files() {
		out[f.Path] = string(f.Data)
	}
	return out
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func diffKeys(a, b map[string]string) string {
	var d []string
	for k, v := range a {
		if w, ok := b[k]; !ok {
			d = append(d, "only on disk: "+k)
		} else if w != v {
			d = append(d, "differs: "+k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			d = append(d, "missing: "+k)
		}
	}
	slices.Sort(d)
	return strings.Join(d, "\n")
}

func TestApplyWritesPrunesAndKeepsForeignFiles(t *testing.T) {
	dir := t.TempDir()
	if err := apply(dir, oldTree()); err != nil {
		t.Fatal(err)
	}
	if got := disk(t, dir); !equalMaps(got, want(oldTree())) {
		t.Fatalf("after first render:\n%s", diffKeys(got, want(oldTree())))
	}
	foreign := filepath.Join(dir, "gone", "README.md")
	if err := os.WriteFile(foreign, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	same := filepath.Join(dir, "keep", "same.yaml")
	past := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := os.Chtimes(same, past, past); err != nil {
		t.Fatal(err)
	}

	if err := apply(dir, newTree()); err != nil {
		t.Fatal(err)
	}
	got := disk(t, dir)
	delete(got, "gone/README.md")
	if !equalMaps(got, want(newTree())) {
		t.Fatalf("after second render:\n%s", diffKeys(got, want(newTree())))
	}
	if b, err := os.ReadFile(foreign); err != nil || string(b) != "mine" {
		t.Errorf("a file idpgen did not generate was touched: %q, %v", b, err)
	}
	if info, err := os.Stat(same); err != nil || !info.ModTime().Equal(past) {
		t.Errorf("an unchanged file was rewritten (mtime %v)", info.ModTime())
	}
	if _, err := os.Stat(filepath.Join(dir, JournalName)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("journal left behind: %v", err)
	}

	// Directories emptied by a render's deletes are removed.
	if err := apply(dir, makeTree(map[string]string{"keep/same.yaml": "same"})); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"svc", "added"} {
		if _, err := os.Stat(filepath.Join(dir, d)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("directory %s should be gone: %v", d, err)
		}
	}
}

func TestRefusesToOverwriteForeignFileAndWritesNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "svc", "03", "deploy.yaml")
	os.MkdirAll(filepath.Dir(path), 0o755)
	os.WriteFile(path, []byte("hand-written"), 0o644)
	err := apply(dir, newTree())
	var conflict *ConflictError
	if !errors.As(err, &conflict) || !slices.Equal(conflict.Paths, []string{"svc/03/deploy.yaml"}) {
		t.Fatalf("err = %v", err)
	}
	got := disk(t, dir)
	if !equalMaps(got, map[string]string{"svc/03/deploy.yaml": "hand-written"}) {
		t.Errorf("something was written:\n%s", diffKeys(got, nil))
	}
}

func TestPlanClassifiesEveryDifference(t *testing.T) {
	dir := t.TempDir()
	if err := apply(dir, oldTree()); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "svc/00/deploy.yaml"), yamlFile("edited by hand"), 0o644)
	os.Remove(filepath.Join(dir, "keep/same.yaml"))
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o644)
	p, err := NewPlan(dir, newTree())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]State{}
	for _, c := range p.Changes {
		got[c.Path] = c.State
	}
	wantStates := map[string]State{
		"svc/00/deploy.yaml": HandEdited,
		"svc/01/deploy.yaml": Stale,
		"keep/same.yaml":     Missing,
		"added/new.yaml":     Missing,
		"gone/only.yaml":     Extra,
		"notes.txt":          Foreign,
		ManifestName:         Stale,
	}
	for path, st := range wantStates {
		if got[path] != st {
			t.Errorf("%s: %q, want %q", path, got[path], st)
		}
	}
	if len(got) != 7+18 { // 18 more stale svc files
		t.Errorf("%d changes: %v", len(got), got)
	}
	if p.InSync() {
		t.Error("plan claims to be in sync")
	}
	// NewPlan only reads.
	if b, _ := os.ReadFile(filepath.Join(dir, "notes.txt")); string(b) != "mine" {
		t.Error("plan touched a file")
	}
}

func TestManifestPathsCannotEscape(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, ManifestName), []byte(`{"files": {"../outside.txt": "x"}}`), 0o644)
	if _, err := NewPlan(dir, newTree()); err == nil || !strings.Contains(err.Error(), `"../outside.txt"`) {
		t.Fatalf("err = %v", err)
	}
}

// checkAfterKill verifies the invariant after a render died: no file is
// anything but its old or its new content; without a committed journal the
// tree is exactly the old one; recovery then completes exactly the new one
// (committed) or leaves exactly the old one with no temporary file and no
// directory the render created (not committed).
func checkAfterKill(t *testing.T, dir string) (committed bool) {
	t.Helper()
	old, new := want(oldTree()), want(newTree())
	got := disk(t, dir)
	for p, content := range got {
		if content != old[p] && content != new[p] {
			t.Fatalf("%s is neither old nor new (truncated or mixed): %q", p, content)
		}
	}
	j, err := readJournal(dir)
	if err != nil {
		t.Fatal(err)
	}
	committed = j != nil && j.state == "committed"
	if !committed && !equalMaps(got, old) {
		t.Fatalf("no committed journal, but the tree is not the old one:\n%s", diffKeys(got, old))
	}
	if err := Recover(dir); err != nil {
		t.Fatal(err)
	}
	after := disk(t, dir)
	switch {
	case committed && !equalMaps(after, new):
		t.Fatalf("recovery did not complete the new tree:\n%s", diffKeys(after, new))
	case !committed && !equalMaps(after, old):
		t.Fatalf("recovery changed an uncommitted tree:\n%s", diffKeys(after, old))
	}
	entries, _ := walk(dir)
	for p, e := range entries {
		if strings.HasSuffix(p, tempSuffix) || p == JournalName || p == LockName {
			t.Fatalf("%s left after recovery", p)
		}
		if e.dir() && !committed && !oldDirs[p] {
			t.Fatalf("directory %s created by the killed render left after recovery", p)
		}
	}
	// And a normal render from there reaches the new tree.
	if err := apply(dir, newTree()); err != nil {
		t.Fatal(err)
	}
	if final := disk(t, dir); !equalMaps(final, new) {
		t.Fatalf("render after recovery:\n%s", diffKeys(final, new))
	}
	return committed
}

// oldDirs are the directories of oldTree.
var oldDirs = map[string]bool{"keep": true, "gone": true, "svc": true}

func init() {
	for i := range 20 {
		oldDirs[fmt.Sprintf("svc/%02d", i)] = true
	}
}

func runChild(t *testing.T, dir string, crashAt int) (killed bool) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "IDPGEN_WRITER_CHILD="+dir, fmt.Sprintf("IDPGEN_WRITER_CRASH_AT=%d", crashAt))
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			return true
		}
	}
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	return false
}

// TestKilledAtEveryStep kills a render (a real child process, SIGKILL) at
// every step the writer takes: after each temporary file, at the commit,
// after each rename and delete.
func TestKilledAtEveryStep(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a process per step")
	}
	sawCommitted, sawUncommitted := false, false
	for crashAt := 1; ; crashAt++ {
		dir := t.TempDir()
		if err := apply(dir, oldTree()); err != nil {
			t.Fatal(err)
		}
		if !runChild(t, dir, crashAt) {
			if crashAt < 10 {
				t.Fatalf("the render finished before step %d: the hook is not wired", crashAt)
			}
			if got := disk(t, dir); !equalMaps(got, want(newTree())) {
				t.Fatalf("uninterrupted render:\n%s", diffKeys(got, want(newTree())))
			}
			break
		}
		if checkAfterKill(t, dir) {
			sawCommitted = true
		} else {
			sawUncommitted = true
		}
	}
	if !sawCommitted || !sawUncommitted {
		t.Errorf("kills before the commit: %v, after: %v; both must be exercised", sawUncommitted, sawCommitted)
	}
}

// TestKilledThenPlatformReverted kills a render of newTree at every step,
// then renders oldTree again (the CUE was reverted): that one run must
// finish or roll back the killed render and leave exactly oldTree, with no
// directory the killed render created.
func TestKilledThenPlatformReverted(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a process per step")
	}
	for crashAt := 1; ; crashAt++ {
		dir := t.TempDir()
		if err := apply(dir, oldTree()); err != nil {
			t.Fatal(err)
		}
		if !runChild(t, dir, crashAt) {
			break
		}
		if err := apply(dir, oldTree()); err != nil {
			t.Fatalf("kill at step %d: %v", crashAt, err)
		}
		if got := disk(t, dir); !equalMaps(got, want(oldTree())) {
			t.Fatalf("kill at step %d, then the old tree:\n%s", crashAt, diffKeys(got, want(oldTree())))
		}
		entries, _ := walk(dir)
		for p, e := range entries {
			if e.dir() && !oldDirs[p] {
				t.Fatalf("kill at step %d: directory %s left behind", crashAt, p)
			}
			if strings.HasSuffix(p, tempSuffix) || p == JournalName || p == LockName {
				t.Fatalf("kill at step %d: %s left behind", crashAt, p)
			}
		}
	}
}

// A tree written by an earlier idpgen has its manifest as a JSON object of
// "path": "hash" pairs: it is still read, so the first render after an
// upgrade deletes what the old render owned and rewrites the manifest.
func TestOldManifestFormatIsRead(t *testing.T) {
	dir := t.TempDir()
	if err := apply(dir, oldTree()); err != nil {
		t.Fatal(err)
	}
	old, err := tree.JSON(map[string]any{"files": ManifestOf(oldTree()).Files})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(old), `"gone/only.yaml": "`) {
		t.Fatalf("not the old format:\n%s", old)
	}
	os.WriteFile(filepath.Join(dir, ManifestName), old, 0o644)
	p, err := NewPlan(dir, oldTree())
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Changes) != 1 || p.Changes[0].Path != ManifestName || p.Changes[0].State != Stale {
		t.Fatalf("only the manifest should differ: %+v", p.Changes)
	}
	if err := apply(dir, newTree()); err != nil {
		t.Fatal(err)
	}
	if got := disk(t, dir); !equalMaps(got, want(newTree())) {
		t.Fatalf("render after an upgrade:\n%s", diffKeys(got, want(newTree())))
	}
}

func TestKeepPatterns(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, KeepName), []byte("# comment\n\nREADME.md\n/CODEOWNERS\ndocs/\nenvironments/*/NOTES.md\n*.txt\n"), 0o644)
	k, err := readKeep(dir)
	if err != nil {
		t.Fatal(err)
	}
	for p, kept := range map[string]bool{
		"README.md":                    true,
		"environments/dev/README.md":   true, // no slash: any directory
		"CODEOWNERS":                   true,
		"base/CODEOWNERS":              false, // anchored at the root
		"docs":                         true,
		"docs/a/b.md":                  true,
		"documentation/x.md":           false,
		"environments/dev/NOTES.md":    true,
		"environments/dev/x/NOTES.md":  false, // * does not cross /
		"a/b/c.txt":                    true,
		"environments/dev/notes.yaml":  false,
		"environments/dev/README.md.x": false,
	} {
		if k.match(p) != kept {
			t.Errorf("%s: kept %v, want %v", p, !kept, kept)
		}
	}
	for p, d := range map[string]bool{
		"environments/dev/x.yaml": true, "base/a/b.YML": true, "environments/dev/terraform/main.tf.json": true,
		"README.yaml": false, "environments/dev/README.md": false, "docs/x.json": false,
	} {
		if deployable(p) != d {
			t.Errorf("deployable(%s) = %v", p, !d)
		}
	}
}
