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
	// The second root: the example's workflows, committed in the
	// repository's .github/workflows/ (hand-written workflows there are
	// the repository's own).
	workflows, err := writer.ReadAheadShared(filepath.Join(root, filepath.FromSlash(tree.GitHubWorkflows)))(tr.Root(tree.GitHubWorkflows))
	if err != nil {
		t.Fatal(err)
	}
	if tr.Root(tree.GitHubWorkflows).Len() == 0 {
		t.Error("the example renders no workflows")
	}
	if golden.Updating() {
		for _, p := range []*writer.Plan{plan, workflows} {
			if err := p.Apply(); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	for _, c := range plan.Changes {
		t.Errorf("%s: generated/%s", c.State, c.Path)
	}
	for _, c := range workflows.Changes {
		t.Errorf("%s: %s/%s", c.State, tree.GitHubWorkflows, c.Path)
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
