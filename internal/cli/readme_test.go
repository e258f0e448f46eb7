package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
)

// TestReadmeExamples keeps the README's multi-region example the one the
// multiregion script evaluates and renders: each of its platform files must
// appear in README.md verbatim.
func TestReadmeExamples(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	a, err := txtar.ParseFile("testdata/script/multiregion.txtar")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range a.Files {
		if !strings.HasPrefix(f.Name, "platform/") {
			continue
		}
		n++
		if !strings.Contains(string(readme), "```cue\n"+string(f.Data)+"```\n") {
			t.Errorf("README.md does not show %s of testdata/script/multiregion.txtar verbatim in a cue block", f.Name)
		}
	}
	if n == 0 {
		t.Fatal("multiregion.txtar has no platform files")
	}
}
