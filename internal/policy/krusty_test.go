package policy_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/idpgen/idpgen/internal/policy"
)

// TestObjectsAreKustomizeBuild holds the objects the policies are
// evaluated on equal to what `kustomize build` (krusty, on an in-memory
// copy of the tree) makes of every root kustomization of every example
// environment: same objects, same content.
func TestObjectsAreKustomizeBuild(t *testing.T) {
	p, tr := example(t)
	fs := filesys.MakeFsInMemory()
	for _, f := range tr.Files() {
		if err := fs.WriteFile("/"+f.Path, f.Data); err != nil {
			t.Fatal(err)
		}
	}
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	b := policy.NewBuilder(tr)
	normal := func(v any) any {
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var out any
		if err := json.Unmarshal(data, &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	checked := 0
	for _, env := range p.EnvironmentList {
		roots, err := policy.Roots(b, env.Name)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(roots, "environments/"+env.Name) {
			t.Errorf("%s: the environment's kustomization is not a root: %v", env.Name, roots)
		}
		for _, root := range roots {
			want, err := k.Run(fs, "/"+root)
			if err != nil {
				t.Fatalf("kustomize build %s: %v", root, err)
			}
			got, err := b.Build(root)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != want.Size() {
				t.Errorf("%s: %d objects, kustomize build has %d", root, len(got), want.Size())
				continue
			}
			byID := map[string]*policy.Object{}
			for _, o := range got {
				byID[o.Kind+"/"+o.Namespace+"/"+o.Name] = o
			}
			for _, r := range want.Resources() {
				m, err := r.Map()
				if err != nil {
					t.Fatal(err)
				}
				id := r.GetKind() + "/" + r.GetNamespace() + "/" + r.GetName()
				o := byID[id]
				if o == nil {
					t.Errorf("%s: kustomize build has %s, the policy evaluation does not", root, id)
					continue
				}
				if !reflect.DeepEqual(normal(o.Obj), normal(m)) {
					g, _ := json.MarshalIndent(o.Obj, "", " ")
					w, _ := json.MarshalIndent(m, "", " ")
					t.Errorf("%s: %s differs from kustomize build:\n%s\nwant\n%s", root, id, g, w)
				}
				checked++
			}
		}
	}
	if checked < 100 {
		t.Errorf("compared only %d objects", checked)
	}
}

// TestOnlyLeavesOutWhatNoConstraintSees holds a Builder limited to the
// kinds the example's constraints (and data.inventory) can see to exactly
// the objects of the full build of those kinds, content included, in
// every environment; and the policy verdicts to those of the full build.
func TestOnlyLeavesOutWhatNoConstraintSees(t *testing.T) {
	p, tr := example(t)
	templates := policy.Templates(p)
	engine, terrs := policy.Compile(templates)
	if terrs != nil {
		t.Fatal(terrs)
	}
	var all []*policy.Constraint
	for _, env := range p.EnvironmentList {
		all = append(all, policy.Constraints(p, env, templates)...)
	}
	keep := policy.Evaluated(all)
	full, only := policy.NewBuilder(tr), policy.NewBuilder(tr)
	only.Only(keep)
	left := 0
	for _, env := range p.EnvironmentList {
		want, err := policy.EnvironmentObjects(full, env.Name)
		if err != nil {
			t.Fatal(err)
		}
		got, err := policy.EnvironmentObjects(only, env.Name)
		if err != nil {
			t.Fatal(err)
		}
		var kept []*policy.Object
		for _, o := range want {
			if keep(o.Group, o.Kind) {
				kept = append(kept, o)
			} else {
				left++
			}
		}
		if !reflect.DeepEqual(got, kept) {
			t.Errorf("%s: the limited build has %d objects, the full build %d of the kept kinds (or their content differs)", env.Name, len(got), len(kept))
		}
		constraints := policy.Constraints(p, env, templates)
		vwant, err := engine.Evaluate(t.Context(), want, constraints)
		if err != nil {
			t.Fatal(err)
		}
		vgot, err := engine.Evaluate(t.Context(), got, constraints)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(vgot, vwant) {
			t.Errorf("%s: %d violations from the limited build, %d from the full one", env.Name, len(vgot), len(vwant))
		}
	}
	// The point of it: most objects are never decoded.
	if left == 0 {
		t.Error("nothing was left out: every kind of the example is evaluated?")
	}
	for _, k := range []struct{ group, kind string }{{"apps", "Deployment"}, {"", "Service"}, {"policy", "PodDisruptionBudget"}} {
		if !keep(k.group, k.kind) {
			t.Errorf("%s/%s is left out", k.group, k.kind)
		}
	}
	for _, k := range []struct{ group, kind string }{{"external-secrets.io", "ExternalSecret"}, {"networking.k8s.io", "NetworkPolicy"}, {"argoproj.io", "ApplicationSet"}} {
		if keep(k.group, k.kind) {
			t.Errorf("%s/%s is evaluated, though no constraint matches it", k.group, k.kind)
		}
	}
}
