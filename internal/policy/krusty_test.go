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
