package policy

import (
	"path"
	"reflect"
	"strings"
	"testing"

	yamlv3 "go.yaml.in/yaml/v3"

	"github.com/idpgen/idpgen/internal/tree"
)

// exampleTree renders the example platform with every emitter. It is set
// by the external tests' helper (render imports this package).
var exampleTree func(t *testing.T) *tree.Tree

// TestFastDecodeMatchesYAML decodes every YAML document of the example
// tree both ways: the fast reader must agree with yaml.v3 wherever it does
// not give up, and must not give up on the services' documents (the
// thousands a large platform has; add-on values, Argo CD objects and the
// policy's Rego have multi-line strings and are left to yaml.v3).
func TestFastDecodeMatchesYAML(t *testing.T) {
	tr := exampleTree(t)
	fast, total := 0, 0
	for _, f := range tr.Files() {
		if path.Ext(f.Path) != ".yaml" {
			continue
		}
		for _, doc := range splitDocs(f.Data) {
			var want map[string]any
			if err := yamlv3.Unmarshal(doc, &want); err != nil {
				t.Fatalf("%s: %v", f.Path, err)
			}
			if want == nil {
				continue
			}
			total++
			got, ok := fastDecode(string(doc))
			if !ok {
				if (strings.HasPrefix(f.Path, "base/services/") || strings.Contains(f.Path, "/services/")) && path.Base(f.Path) != "kustomization.yaml" {
					t.Errorf("%s: the fast reader gave up on a service's document", f.Path)
				}
				continue
			}
			fast++
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s: fast decoding differs:\n got %#v\nwant %#v", f.Path, got, want)
			}
		}
	}
	t.Logf("fast: %d of %d documents", fast, total)
}
