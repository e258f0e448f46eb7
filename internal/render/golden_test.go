package render_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/idpgen/idpgen/internal/golden"
	"github.com/idpgen/idpgen/internal/render"
	"github.com/idpgen/idpgen/internal/tree"
	"github.com/idpgen/idpgen/internal/writer"
)

// The committed generated/ is the golden output of the example platform:
// this test requires it to be exactly what a render produces (every file,
// no other file, same bytes), and -update / IDPGEN_UPDATE=1 rewrites it
// through the writer.
func TestExamplePlatformGolden(t *testing.T) {
	root := filepath.Join("..", "..")
	p, tr, err := render.Platform(filepath.Join(root, "platforms", "example"))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(root, "generated")
	plan, err := writer.NewPlan(out, tr)
	if err != nil {
		t.Fatal(err)
	}
	if golden.Updating() {
		if err := plan.Apply(); err != nil {
			t.Fatal(err)
		}
		return
	}
	for _, c := range plan.Changes {
		t.Errorf("%s: generated/%s", c.State, c.Path)
	}

	// Properties of the example the golden files must keep.
	for _, env := range p.EnvironmentList {
		for _, svc := range p.ServiceList {
			overlay := fmt.Sprintf("environments/%s/services/%s/kustomization.yaml", env.Name, svc.Name)
			if _, ok := tr.Get(overlay); ok != svc.Enabled(env.Name) {
				t.Errorf("%s exists: %v, service enabled there: %v", overlay, ok, svc.Enabled(env.Name))
			}
		}
	}
	for _, f := range tr.Files() {
		if !tree.Generated(f.Data) {
			t.Errorf("%s lacks the generated-file marker", f.Path)
		}
		if strings.Contains(string(f.Data), ":latest") {
			t.Errorf("%s refers to a :latest image", f.Path)
		}
	}
}
