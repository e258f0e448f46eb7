package cli_test

import (
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
)

// repoRoot is the repository, seen from this package's directory.
const repoRoot = "../.."

// seedModule makes dir a copy of the repository's CUE module root: the
// module file and the schema package, so a test platform can import
// github.com/idpgen/idpgen/schemas exactly as the example does.
func seedModule(dir string) error {
	for _, glob := range []string{"cue.mod/module.cue", "schemas/*.cue"} {
		files, err := filepath.Glob(filepath.Join(repoRoot, glob))
		if err != nil || len(files) == 0 {
			return fmt.Errorf("seeding %s: %v (%d files)", glob, err, len(files))
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(repoRoot, f)
			if err := writeFile(filepath.Join(dir, rel), data); err != nil {
				return err
			}
		}
	}
	return nil
}

func writeFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

// extract writes the files of a txtar archive below dir.
func extract(t testing.TB, dir string, a *txtar.Archive) {
	t.Helper()
	for _, f := range a.Files {
		if err := writeFile(filepath.Join(dir, f.Name), f.Data); err != nil {
			t.Fatal(err)
		}
	}
}

// treeState describes every file below dir: path, size, modification time
// and content hash. Equal states mean nothing was written, not even
// rewritten with the same bytes.
func treeState(dir string) (string, error) {
	var lines []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			lines = append(lines, fmt.Sprintf("%s/ %s", rel, info.ModTime().UTC().Format("15:04:05.000000000")))
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		lines = append(lines, fmt.Sprintf("%s %d %s %x", rel, info.Size(), info.ModTime().UTC().Format("15:04:05.000000000"), sha256.Sum256(data)))
		return nil
	})
	slices.Sort(lines)
	return strings.Join(lines, "\n") + "\n", err
}
