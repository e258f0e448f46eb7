package synth_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/idpgen/idpgen/internal/render"
	"github.com/idpgen/idpgen/internal/synth"
)

// The generated platform is valid and has the requested size.
func TestWriteProducesAValidPlatform(t *testing.T) {
	dir := filepath.Join("..", "..", ".bench", "synth-test-"+t.Name())
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := synth.Write(dir, synth.Options{Services: 60, Environments: 4, PerFile: 25}); err != nil {
		t.Fatal(err)
	}
	p, tr, err := render.Platform(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Services) != 60 || len(p.Environments) != 4 {
		t.Errorf("%d services, %d environments", len(p.Services), len(p.Environments))
	}
	files, _ := filepath.Glob(filepath.Join(dir, "services-*.cue"))
	if len(files) != 3 {
		t.Errorf("%d service files, want 3", len(files))
	}
	if tr.Len() < 60*5 {
		t.Errorf("only %d files rendered", tr.Len())
	}
}
