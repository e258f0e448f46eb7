// Package golden compares test output with files under testdata, and
// rewrites them when asked: with -update on the test binary, or with
// IDPGEN_UPDATE=1 in the environment (which works for `go test ./...`, where
// packages that don't import this one would reject an -update flag).
package golden

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// Updating reports whether golden files are being rewritten.
func Updating() bool { return *update || os.Getenv("IDPGEN_UPDATE") == "1" }

// Check compares got with the golden file at path, or rewrites it.
func Check(t testing.TB, path string, got []byte) {
	t.Helper()
	if Updating() {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with IDPGEN_UPDATE=1 to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output (run with IDPGEN_UPDATE=1 to accept):\n--- got\n%s", path, got)
	}
}
