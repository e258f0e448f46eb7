package upgrade_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/idpgen/idpgen/internal/render"
	"github.com/idpgen/idpgen/internal/synth"
	"github.com/idpgen/idpgen/internal/upgrade"
)

// BenchmarkCheck runs the upgrade rules, the removed-API scan of every
// rendered file included, on 1000 services in 4 environments.
func BenchmarkCheck(b *testing.B) {
	// Inside the module, so that the platform's schema import resolves.
	dir := filepath.Join("..", "..", ".bench", "bench-upgrade")
	b.Cleanup(func() { os.RemoveAll(dir) })
	if err := synth.Write(dir, synth.Options{Services: 1000, Environments: 4}); err != nil {
		b.Fatal(err)
	}
	p, t, err := render.Platform(dir)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := upgrade.Check(upgrade.Input{Platform: p, Tree: t, OutDir: "generated", Today: "2026-12-02"}); err != nil {
			b.Fatal(err)
		}
	}
}
