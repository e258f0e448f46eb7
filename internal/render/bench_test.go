package render_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/idpgen/idpgen/internal/render"
	"github.com/idpgen/idpgen/internal/synth"
)

// BenchmarkRender evaluates and renders 1000 services x 3 environments in
// memory (no disk). `make bench` measures whole commands; this one is for
// profiling: go test -bench Render -cpuprofile cpu.out ./internal/render
func BenchmarkRender(b *testing.B) {
	dir := filepath.Join("..", "..", ".bench", "bench-render")
	b.Cleanup(func() { os.RemoveAll(dir) })
	if err := synth.Write(dir, synth.Options{Services: 1000, Environments: 3}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, _, err := render.Platform(dir); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerify runs every emitter's cross-check (the checks every
// command runs on the rendered tree) on 1000 services x 3 environments.
func BenchmarkVerify(b *testing.B) {
	dir := filepath.Join("..", "..", ".bench", "bench-verify")
	b.Cleanup(func() { os.RemoveAll(dir) })
	if err := synth.Write(dir, synth.Options{Services: 1000, Environments: 3}); err != nil {
		b.Fatal(err)
	}
	p, t, err := render.Platform(dir)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := render.Verify(p, t, render.Emitters()); err != nil {
			b.Fatal(err)
		}
	}
}
