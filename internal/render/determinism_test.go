package render_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/idpgen/idpgen/internal/eksversions"
	"github.com/idpgen/idpgen/internal/render"
	"github.com/idpgen/idpgen/internal/synth"
	"github.com/idpgen/idpgen/internal/tree"
)

// TestMain lets the test binary act as a renderer in a child process, so
// the determinism test can compare runs under different GOMAXPROCS (which
// only takes effect at process start for the runtime's defaults) and
// different map-iteration seeds (each process has its own).
func TestMain(m *testing.M) {
	os.Setenv(eksversions.TodayEnv, "2026-12-02") // a fixed calendar day
	if dir := os.Getenv("IDPGEN_RENDER_CHILD"); dir != "" {
		tree.ViaJSON = os.Getenv("IDPGEN_RENDER_VIA_JSON") != ""
		_, t, err := render.Platform(dir)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		dump(os.Stdout, t)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// dump writes every file's path and bytes.
func dump(w *os.File, t *tree.Tree) {
	for _, f := range t.Files() {
		fmt.Fprintf(w, "== %s %d\n", f.Path, len(f.Data))
		w.Write(f.Data)
	}
}

func renderIn(t *testing.T, dir string, procs int, env ...string) []byte {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "IDPGEN_RENDER_CHILD="+dir, fmt.Sprintf("GOMAXPROCS=%d", procs))
	cmd.Env = append(cmd.Env, env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("render with GOMAXPROCS=%d: %v\n%s", procs, err, stderr.String())
	}
	return out
}

// Same input, byte-identical output: renders in separate processes with
// GOMAXPROCS 1 and 8 (and so different scheduling of the parallel emitters
// and different map orders) produce the same files, byte for byte. The
// tree's direct encoding of typed objects gives the bytes of the reference
// one through encoding/json.
func TestRenderIsDeterministic(t *testing.T) {
	for _, platform := range []string{"example", "synthetic"} {
		t.Run(platform, func(t *testing.T) {
			dir := filepath.Join("..", "..", "platforms", "example")
			if platform == "synthetic" {
				dir = filepath.Join("..", "..", ".bench", "determinism")
				t.Cleanup(func() { os.RemoveAll(dir) })
				if err := synth.Write(dir, synth.Options{Services: 150, Environments: 4, PerFile: 40, AWS: true}); err != nil {
					t.Fatal(err)
				}
			}
			first := renderIn(t, dir, 1)
			if len(first) < 1000 {
				t.Fatalf("suspiciously small output: %d bytes", len(first))
			}
			for _, procs := range []int{8, 1, runtime.NumCPU()} {
				if got := renderIn(t, dir, procs); !bytes.Equal(got, first) {
					t.Fatalf("GOMAXPROCS=%d rendered different bytes", procs)
				}
			}
			if got := renderIn(t, dir, 2, "IDPGEN_RENDER_VIA_JSON=1"); !bytes.Equal(got, first) {
				a, b := bytes.Split(first, []byte("\n")), bytes.Split(got, []byte("\n"))
				for i := range min(len(a), len(b)) {
					if !bytes.Equal(a[i], b[i]) {
						t.Fatalf("the direct encoding differs from encoding/json's at line %d:\n%s\n%s", i+1, a[i], b[i])
					}
				}
				t.Fatalf("the direct encoding differs from encoding/json's in length")
			}
		})
	}
}
