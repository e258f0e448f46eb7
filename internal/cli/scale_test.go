package cli_test

import (
	"bytes"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/idpgen/idpgen/internal/cli"
	"github.com/idpgen/idpgen/internal/diag"
	"github.com/idpgen/idpgen/internal/synth"
)

// TestManyErrors: 10,000 services, each depending on a misspelt service.
// Every error is found (the count), each with its "did you mean" (the
// search is indexed, not a comparison of every pair), but only the first
// diag.MaxPrinted are printed, then how many more; the exit code is the
// one for an invalid platform.
func TestManyErrors(t *testing.T) {
	if testing.Short() {
		t.Skip("evaluates 10,000 services")
	}
	const n = 10000
	dir := t.TempDir()
	if err := seedModule(dir); err != nil {
		t.Fatal(err)
	}
	if err := synth.Write(filepath.Join(dir, "platform"), synth.Options{Services: n, Environments: 1, UnknownDependencies: true}); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	line := regexp.MustCompile(`^platform/services-\d{4}\.cue:\d+:\d+: services\."svc-(\d+)"\.dependsOn\.\d: unknown service "svc-(\d+)x"; did you mean "svc-(\d+)"\?$`)
	var stdout, stderr bytes.Buffer
	start := time.Now()
	code := cli.Run([]string{"vet", "--platform", "platform", "--format", "text"}, &stdout, &stderr)
	t.Logf("vet: %v", time.Since(start))
	if code != cli.ExitInvalid {
		t.Fatalf("exit %d, want %d\n%s", code, cli.ExitInvalid, stderr.String())
	}
	lines := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n")
	if len(lines) != diag.MaxPrinted+1 {
		t.Fatalf("%d lines, want %d", len(lines), diag.MaxPrinted+1)
	}
	for _, l := range lines[:diag.MaxPrinted] {
		if m := line.FindStringSubmatch(l); m == nil || m[1] != m[2] || m[2] != m[3] {
			t.Fatalf("unexpected line %q", l)
		}
	}
	// The GitHub format caps the same way (diag's TestPrintCaps).
	if last, want := lines[diag.MaxPrinted], fmt.Sprintf("and %d more errors (%d in all)", n-diag.MaxPrinted, n); last != want {
		t.Errorf("last line %q, want %q", last, want)
	}
}
