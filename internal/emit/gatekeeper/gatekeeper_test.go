package gatekeeper_test

import (
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/idpgen/idpgen/internal/crdschema"
	"github.com/idpgen/idpgen/internal/emit/gatekeeper"
	"github.com/idpgen/idpgen/internal/render"
)

// TestObjectsMatchGatekeeperCRDs validates the rendered ConstraintTemplates
// and Config of every example environment against Gatekeeper's own CRDs
// (the chart's, at the pinned version), and checks the sync waves and
// options the constraints need.
func TestObjectsMatchGatekeeperCRDs(t *testing.T) {
	dir, err := crdschema.ModuleDir(crdschema.Gatekeeper)
	if err != nil {
		t.Fatalf("the Gatekeeper CRDs are read from the Go module cache: %v", err)
	}
	crds := filepath.Join(dir, "charts", "gatekeeper", "crds")
	set, err := crdschema.Load(
		filepath.Join(crds, "constrainttemplate-customresourcedefinition.yaml"),
		filepath.Join(crds, "config-customresourcedefinition.yaml"),
	)
	if err != nil {
		t.Fatal(err)
	}
	p, tr, err := render.Platform("../../../platforms/example")
	if err != nil {
		t.Fatal(err)
	}
	for _, env := range p.EnvironmentList {
		d := gatekeeper.Dir(env.Name)
		for _, file := range []string{path.Join(gatekeeper.BaseDir, "templates.yaml"), path.Join(d, "config.yaml")} {
			f, ok := tr.Get(file)
			if !ok {
				t.Fatalf("%s not rendered", file)
			}
			n, err := set.ValidateYAML(f.Data)
			if err != nil {
				t.Errorf("%s: %v", file, err)
			}
			if n == 0 {
				t.Errorf("%s: no object", file)
			}
		}
		f, _ := tr.Get(path.Join(d, "constraints.yaml"))
		c := string(f.Data)
		if n, want := strings.Count(c, "argocd.argoproj.io/sync-options: SkipDryRunOnMissingResource=true"), strings.Count(c, "apiVersion: constraints.gatekeeper.sh/v1beta1"); n != want || n < 8 {
			t.Errorf("%s: %d constraints skip the dry run, of %d", d, n, want)
		}
		if strings.Count(c, `argocd.argoproj.io/sync-wave: "1"`) != strings.Count(c, "apiVersion: constraints.gatekeeper.sh/v1beta1") {
			t.Errorf("%s: constraints must sync after the templates (wave 1)", d)
		}
	}
}
