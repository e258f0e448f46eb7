package writer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/idpgen/idpgen/internal/tree"
)

// journal lists what applying a plan creates and does. It is written
// twice: "prepared", before any directory or temporary file is created, so
// that a run after a kill removes exactly those; then "committed" (the
// commit point), after every temporary file is complete, so that a run
// after a kill finishes the renames and deletes.
type journal struct {
	state   string
	dirs    []string          // directories this render created, parents first
	renames []string          // final paths, manifest last; each has a temporary file beside it
	deletes []string          // paths of extra files
	sums    map[string]string // path → sha256 of the content renamed to it or deleted ("" in old journals)
}

const (
	prepared  = "prepared"
	committed = "committed"
)

type journalFile struct {
	State   string   `json:"state,omitempty"`
	Dirs    []string `json:"dirs,omitempty"`
	Renames []string `json:"renames"` // "path sha256", in order
	Deletes []string `json:"deletes"` // "path sha256"
}

func (j *journal) encode() []byte {
	f := journalFile{State: j.state, Dirs: j.dirs, Renames: []string{}, Deletes: []string{}}
	for _, p := range j.renames {
		f.Renames = append(f.Renames, p+" "+j.sums[p])
	}
	for _, p := range j.deletes {
		f.Deletes = append(f.Deletes, p+" "+j.sums[p])
	}
	b, err := tree.JSON(f)
	if err != nil {
		panic(err) // strings always encode
	}
	return b
}

// readJournal reads and validates the journal under root; nil when there is
// none. A journal without a state is one of an earlier idpgen, which wrote
// it only at the commit point, with bare paths.
func readJournal(root string) (*journal, error) {
	name := filepath.Join(root, JournalName)
	b, err := readRegular(name)
	if isNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var f journalFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	j := &journal{state: f.State, sums: map[string]string{}}
	switch j.state {
	case "":
		j.state = committed
	case prepared, committed:
	default:
		return nil, fmt.Errorf("%s: unknown state %q", name, f.State)
	}
	renames, order, err := parseEntries(f.Renames, name)
	if err != nil {
		return nil, err
	}
	deletes, dorder, err := parseEntries(f.Deletes, name)
	if err != nil {
		return nil, err
	}
	j.renames, j.deletes = order, dorder
	for p, h := range renames {
		j.sums[p] = h
	}
	for p, h := range deletes {
		if _, both := renames[p]; both {
			return nil, fmt.Errorf("%s: %q is both renamed and deleted", name, p)
		}
		j.sums[p] = h
	}
	for _, p := range slices.Concat(j.renames, j.deletes) {
		if own(p) && p != ManifestName {
			return nil, fmt.Errorf("%s: %q is one of idpgen's own files", name, p)
		}
	}
	for _, d := range f.Dirs {
		if err := tree.CheckPath(d); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	j.dirs = f.Dirs
	return j, nil
}

// ConflictError is returned by Apply when the render would touch files
// idpgen did not generate, or its bookkeeping names such files.
type ConflictError struct {
	Paths []string // each followed by why, when known: "x.yaml (a symlink)"
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("refusing to overwrite %d file(s) that idpgen did not generate: %s (move them out of the output directory)",
		len(e.Paths), strings.Join(e.Paths, ", "))
}

// JournalError is returned when a journal names a file idpgen did not
// write: it is refused and nothing is touched.
type JournalError struct {
	Journal  string
	Problems []string
}

func (e *JournalError) Error() string {
	return fmt.Sprintf("refusing to finish the interrupted render in %s: %s; nothing was touched (if the journal is not idpgen's, remove it)",
		e.Journal, strings.Join(e.Problems, "; "))
}

// Apply makes the disk match the plan's render, holding the tree's lock.
// If the disk changed since the plan was made (an interrupted render left a
// journal, or another render finished in between), it first finishes or
// rolls back that journal and plans again: a render that succeeds leaves
// exactly its own tree. Foreign files are left alone; if the render needs
// to overwrite one, nothing is written at all. On return, p describes what
// was done.
func (p *Plan) Apply() error {
	if p.InSync() {
		// Nothing to write, and nothing written to find that out: not even
		// the lock file, whose creation would touch the directory's mtime.
		// NewPlan refused to read while another render held the lock.
		return nil
	}
	// Refusals come before anything, even the lock file, is created. (With
	// a journal, conflicts wait: finishing it may change the picture.)
	if p.pending {
		j, err := readJournal(p.Root)
		if err != nil {
			return err
		}
		if j != nil {
			if err := verify(p.Root, j); err != nil {
				return err
			}
		}
	} else if err := p.conflicts(); err != nil {
		return err
	}
	if err := os.MkdirAll(p.Root, 0o755); err != nil {
		return err
	}
	l, err := acquire(p.Root)
	if err != nil {
		return err
	}
	defer l.release()
	if stale, err := p.stale(); err != nil {
		return err
	} else if stale {
		if err := recoverLocked(p.Root); err != nil {
			return err
		}
		fresh, err := newPlan(p.Root, p.tree)
		if err != nil {
			return err
		}
		*p = *fresh
	}
	if err := p.conflicts(); err != nil {
		return err
	}
	return p.write()
}

func (p *Plan) conflicts() error {
	c := p.Conflicts()
	if len(c) == 0 {
		return nil
	}
	e := &ConflictError{}
	for _, x := range c {
		s := x.Path
		if x.Why != "" {
			s += " (" + x.Why + ")"
		}
		e.Paths = append(e.Paths, s)
	}
	return e
}

// stale reports whether the disk may have changed since the plan: every
// render that changes anything rewrites the manifest last, and one that was
// interrupted leaves a journal.
func (p *Plan) stale() (bool, error) {
	if p.pending {
		return true, nil
	}
	if _, err := os.Lstat(filepath.Join(p.Root, JournalName)); !isNotExist(err) {
		return true, nil
	}
	raw, err := readRegular(filepath.Join(p.Root, ManifestName))
	if err != nil && !isNotExist(err) {
		return false, err
	}
	return !bytes.Equal(raw, p.prevRaw), nil
}

func (p *Plan) write() error {
	j := &journal{state: prepared, sums: map[string]string{}}
	for _, c := range p.Changes {
		switch {
		case c.New != nil:
			j.renames = append(j.renames, c.Path)
			sum, ok := p.sums[c.Path]
			if !ok { // the manifest itself
				sum = hash(c.New)
			}
			j.sums[c.Path] = sum
		case c.State == Extra:
			j.deletes = append(j.deletes, c.Path)
			j.sums[c.Path] = hash(c.Old)
		}
	}
	if len(j.renames) == 0 && len(j.deletes) == 0 {
		return nil
	}
	// The manifest is renamed last, so that until the end the old manifest
	// still names every file the old render owned.
	slices.SortStableFunc(j.renames, func(a, b string) int {
		return boolCmp(a == ManifestName, b == ManifestName)
	})
	// The directories to create, parents before children.
	need := map[string]bool{}
	for _, f := range j.renames {
		for d := path.Dir(f); d != "." && !p.dirs[d] && !need[d]; d = path.Dir(d) {
			need[d] = true
		}
	}
	j.dirs = slices.Sorted(func(yield func(string) bool) {
		for d := range need {
			if !yield(d) {
				return
			}
		}
	})
	if err := atomicWrite(filepath.Join(p.Root, JournalName), j.encode()); err != nil {
		return err
	}
	step("prepare")
	for _, d := range j.dirs {
		if err := os.Mkdir(filepath.Join(p.Root, filepath.FromSlash(d)), 0o755); err != nil {
			return err
		}
	}
	// One file at a time: on ext4 here, creating files from several
	// goroutines was four times slower than in sequence (directory locks).
	for _, c := range p.Changes {
		if c.New == nil {
			continue
		}
		if err := writeTemp(p.Root, c.Path, c.New); err != nil {
			return err
		}
		step("temp " + c.Path)
	}
	j.state = committed
	if err := atomicWrite(filepath.Join(p.Root, JournalName), j.encode()); err != nil {
		return err
	}
	step("commit")
	return replay(p.Root, j)
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// Recover finishes a render that was interrupted after its commit point, or
// removes what one interrupted before it created, holding the tree's lock.
// It acts only on what the journal proves idpgen wrote; otherwise it
// returns a *JournalError and touches nothing.
func Recover(root string) error {
	if _, err := os.Lstat(root); isNotExist(err) {
		return nil
	}
	l, err := acquire(root)
	if err != nil {
		return err
	}
	defer l.release()
	return recoverLocked(root)
}

func recoverLocked(root string) error {
	j, err := readJournal(root)
	switch {
	case err != nil:
		return err
	case j == nil:
		return removeJournal(root) // its temporary file, if writing it was interrupted
	}
	if err := verify(root, j); err != nil {
		return err
	}
	if j.state == prepared {
		return rollback(root, j)
	}
	return replay(root, j)
}

// verify checks, before anything is touched, that every file the journal
// would rename, delete or remove is idpgen's:
//   - a temporary file is the deterministic temp name of a path the journal
//     lists (no other *.idpgen-tmp file is ever touched), is a regular file,
//     and its content is what the journal recorded (committed), or the
//     beginning of a generated file (prepared: a kill may have cut it short);
//   - a file to delete is a regular file whose content is what the journal
//     recorded, or carries the generated-file marker.
//
// Missing files are fine: the journal was partly replayed already.
func verify(root string, j *journal) error {
	var problems []string
	read := func(p string) ([]byte, bool) {
		b, err := readRegular(filepath.Join(root, filepath.FromSlash(p)))
		switch {
		case isNotExist(err):
			return nil, false
		case err != nil:
			problems = append(problems, fmt.Sprintf("%s: %v", p, err))
			return nil, false
		}
		return b, true
	}
	for _, p := range j.renames {
		b, ok := read(tempName(p))
		switch {
		case !ok:
		case j.state == committed && !ours(b, j.sums[p]):
			problems = append(problems, tempName(p)+" was not written by idpgen (not the content the journal recorded)")
		case j.state == prepared && !startsGenerated(b) && !ours(b, j.sums[p]):
			problems = append(problems, tempName(p)+" was not written by idpgen")
		}
	}
	for _, p := range j.deletes {
		if b, ok := read(p); ok && !ours(b, j.sums[p]) {
			problems = append(problems, p+" was not written by idpgen (no marker, and not the recorded content)")
		}
	}
	if len(problems) > 0 {
		return &JournalError{Journal: filepath.Join(root, JournalName), Problems: problems}
	}
	return nil
}

// startsGenerated reports whether b could be the beginning of a generated
// file cut short by a kill: empty, or a prefix of (or starting with) one of
// the marker forms.
func startsGenerated(b []byte) bool {
	if tree.Generated(b) {
		return true
	}
	for _, m := range []string{"# " + tree.Marker + "\n", "{\n  \"//\": \"" + tree.Marker + "\""} {
		if strings.HasPrefix(m, string(b)) {
			return true
		}
	}
	return false
}

// replay does what a committed journal lists; every step is idempotent.
func replay(root string, j *journal) error {
	for _, p := range j.renames {
		final := filepath.Join(root, filepath.FromSlash(p))
		if err := rename(tempPath(final), final); err != nil && !isNotExist(err) { // already renamed
			return err
		}
		step("rename " + p)
	}
	for _, p := range j.deletes {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.Remove(full); err != nil && !isNotExist(err) {
			return err
		}
		removeEmptyParents(root, filepath.Dir(full))
		step("delete " + p)
	}
	return removeJournal(root)
}

// rollback removes what a prepared journal created: its temporary files,
// then its directories if they are empty (deepest first), then itself.
func rollback(root string, j *journal) error {
	for _, p := range j.renames {
		if err := os.Remove(filepath.Join(root, filepath.FromSlash(tempName(p)))); err != nil && !isNotExist(err) {
			return err
		}
	}
	for _, d := range slices.Backward(j.dirs) {
		os.Remove(filepath.Join(root, filepath.FromSlash(d))) // fails, as it should, unless empty
	}
	return removeJournal(root)
}

func removeJournal(root string) error {
	err := os.Remove(filepath.Join(root, JournalName))
	if err != nil && !isNotExist(err) {
		return err
	}
	// The journal's own temporary file, if a kill interrupted writing it.
	if err := os.Remove(filepath.Join(root, tempName(JournalName))); err != nil && !isNotExist(err) {
		return err
	}
	return nil
}

func removeEmptyParents(root, dir string) {
	for dir != root && strings.HasPrefix(dir, root) {
		if os.Remove(dir) != nil { // fails when not empty
			return
		}
		dir = filepath.Dir(dir)
	}
}

// tempName is the deterministic temporary name of p (slash-separated), so
// that a journal can refer to it without recording it.
func tempName(p string) string {
	return path.Join(path.Dir(p), "."+path.Base(p)+tempSuffix)
}

func tempPath(final string) string {
	return filepath.Join(filepath.Dir(final), "."+filepath.Base(final)+tempSuffix)
}

// writeTemp creates the temporary file of p; its directory exists. It must
// not exist (the plan checked): O_EXCL and O_NOFOLLOW make sure nothing
// hand-placed there is overwritten or written through.
func writeTemp(root, p string, data []byte) error {
	return createExcl(tempPath(filepath.Join(root, filepath.FromSlash(p))), data)
}

// atomicWrite replaces final (one of the writer's own files) through its
// temporary file.
func atomicWrite(final string, data []byte) error {
	tmp := tempPath(final)
	if err := os.Remove(tmp); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := createExcl(tmp, data); err != nil {
		return err
	}
	return rename(tmp, final)
}

// step is called between the writer's visible steps. Tests replace it to
// kill the process at every point of a render.
var step = func(string) {}
