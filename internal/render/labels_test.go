package render_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"

	"github.com/idpgen/idpgen/internal/render"
)

// Every label and annotation idpgen writes, in every YAML document of the
// example tree (workloads, namespaces, Argo CD objects, add-on values,
// kustomize label transformers), is one the API server accepts, checked
// with its own validation (k8s.io/apimachinery). Kubernetes objects carry
// none of the API server's own fields (status, creationTimestamp).
func TestEveryLabelAndAnnotationIsValid(t *testing.T) {
	_, tr, err := render.Platform(filepath.Join("..", "..", "platforms", "example"))
	if err != nil {
		t.Fatal(err)
	}
	var labels, annotations int
	for _, f := range tr.Files() {
		if !strings.HasSuffix(f.Path, ".yaml") {
			continue
		}
		for i, doc := range strings.Split(string(f.Data), "\n---\n") {
			var obj map[string]any
			if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
				t.Fatalf("%s, document %d: %v", f.Path, i, err)
			}
			l, a, errs := checkMeta(obj, field.NewPath(""))
			labels, annotations = labels+l, annotations+a
			for _, e := range errs {
				t.Errorf("%s, document %d: %v", f.Path, i, e)
			}
			if _, k8s := obj["apiVersion"].(string); k8s {
				if _, ok := obj["status"]; ok {
					t.Errorf("%s, document %d: status written", f.Path, i)
				}
				if strings.Contains(doc, "creationTimestamp") {
					t.Errorf("%s, document %d: creationTimestamp written", f.Path, i)
				}
			}
		}
	}
	// The walk must have found what it checks (the example has hundreds).
	if labels < 100 || annotations < 50 {
		t.Errorf("checked %d label sets and %d annotation sets; the walk misses them", labels, annotations)
	}
}

// checkMeta walks a decoded document and validates every map of labels
// (labels, matchLabels, podLabels, commonLabels, kustomize's label pairs)
// and of annotations (annotations, podAnnotations).
func checkMeta(v any, path *field.Path) (labels, annotations int, errs field.ErrorList) {
	switch x := v.(type) {
	case map[string]any:
		for k, child := range x {
			p := path.Child(k)
			if m, ok := stringMap(child); ok {
				switch k {
				case "labels", "matchLabels", "podLabels", "commonLabels", "pairs":
					labels++
					errs = append(errs, metav1validation.ValidateLabels(m, p)...)
					continue
				case "annotations", "podAnnotations":
					annotations++
					errs = append(errs, apivalidation.ValidateAnnotations(m, p)...)
					continue
				}
			}
			l, a, e := checkMeta(child, p)
			labels, annotations, errs = labels+l, annotations+a, append(errs, e...)
		}
	case []any:
		for i, child := range x {
			l, a, e := checkMeta(child, path.Index(i))
			labels, annotations, errs = labels+l, annotations+a, append(errs, e...)
		}
	}
	return labels, annotations, errs
}

// stringMap is m when it is a non-empty map of scalars.
func stringMap(v any) (map[string]string, bool) {
	m, ok := v.(map[string]any)
	if !ok || len(m) == 0 {
		return nil, false
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		switch v.(type) {
		case map[string]any, []any:
			return nil, false
		}
		out[k] = fmt.Sprint(v)
	}
	return out, true
}

// The walk itself finds a bad value wherever it is nested.
func TestLabelWalkFindsInvalidValues(t *testing.T) {
	doc := map[string]any{
		"metadata": map[string]any{"labels": map[string]any{"idpgen.dev/cost-center": `${file("/etc/passwd")}`}},
		"spec": map[string]any{"template": map[string]any{"metadata": map[string]any{
			"annotations": map[string]any{"x": strings.Repeat("a", 300<<10)}}}},
		"labels": []any{map[string]any{"pairs": map[string]any{"team": "-bad"}}},
	}
	if _, _, errs := checkMeta(doc, field.NewPath("")); len(errs) != 3 {
		t.Errorf("found %d problems, want 3: %v", len(errs), errs)
	}
}
