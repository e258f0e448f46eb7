package tree

import (
	"strings"
	"sync"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	sigsyaml "sigs.k8s.io/yaml"
)

// YAML must write exactly what sigs.k8s.io/yaml writes (the encoding every
// Kubernetes tool expects), only faster: compare on tricky scalars and a
// real object.
func TestYAMLMatchesSigsYAML(t *testing.T) {
	objs := []any{
		map[string]any{"n": 3, "y": "yes", "on": true, "s": "0755", "f": 1.5, "big": int64(1) << 53, "e": 1e21, "nul": nil,
			"list": []any{"a", 1, map[string]any{"z": 1, "a": "b: c"}}, "multi": "line1\nline2", "empty": "", "quote": "'x'"},
		&appsv1.Deployment{
			TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
			ObjectMeta: metav1.ObjectMeta{Name: "api", Labels: map[string]string{"app.kubernetes.io/version": "1.10"}},
			Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{
				Name: "api", Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1500m")}},
			}}}}},
		},
	}
	for _, o := range objs {
		got, err := yamlDoc(o)
		if err != nil {
			t.Fatal(err)
		}
		want, err := sigsyaml.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		// yamlDoc drops an empty status, as the files idpgen writes do.
		wantS := strings.Replace(string(want), "status: {}\n", "", 1)
		if string(got) != wantS {
			t.Errorf("got:\n%s\nsigs.k8s.io/yaml:\n%s", got, wantS)
		}
	}
}

// The API server's fields never reach a committed file: no status (the
// k8s.io/api types write zero-valued status structs and counters) and no
// null creationTimestamp, in the object or in the templates it embeds.
// A document that is not a Kubernetes object keeps its "status" key.
func TestYAMLDropsServerFields(t *testing.T) {
	objs := []any{
		&appsv1.StatefulSet{
			TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "StatefulSet"},
			ObjectMeta: metav1.ObjectMeta{Name: "db"},
			Spec: appsv1.StatefulSetSpec{VolumeClaimTemplates: []corev1.PersistentVolumeClaim{{
				ObjectMeta: metav1.ObjectMeta{Name: "data"},
			}}},
		},
		&corev1.Service{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Service"}, ObjectMeta: metav1.ObjectMeta{Name: "api"}},
		&policyv1.PodDisruptionBudget{TypeMeta: metav1.TypeMeta{APIVersion: "policy/v1", Kind: "PodDisruptionBudget"}, ObjectMeta: metav1.ObjectMeta{Name: "api"}},
		map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": "x", "creationTimestamp": nil}, "status": map[string]any{"phase": "Running"},
			"spec": map[string]any{"template": map[string]any{"metadata": map[string]any{"creationTimestamp": nil}, "status": map[string]any{}}}},
	}
	for _, o := range objs {
		raw, err := sigsyaml.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		got, err := yamlDoc(o)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(got), "status") || strings.Contains(string(got), "creationTimestamp") {
			t.Errorf("server fields left in:\n%s", got)
		}
		if !strings.Contains(string(raw), "status") {
			t.Errorf("the test object has no status to drop:\n%s", raw)
		}
	}
	values := map[string]any{"status": map[string]any{"enabled": true}}
	got, err := yamlDoc(values)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(got), "status:") {
		t.Errorf("a values document lost its status key:\n%s", got)
	}
}

func TestCheckPathRefusesAnythingOutsideTheTree(t *testing.T) {
	for _, p := range []string{
		"", "/etc/passwd", "../x", "a/../../x", "a/./b", "a//b", "a/", "./a",
		"a/..", "..", "a/..b/c", "a/b c", "a/\x00", "a\\b", "a/~x", "a/$HOME",
	} {
		if err := CheckPath(p); err == nil {
			t.Errorf("CheckPath(%q) accepted", p)
		}
	}
	for _, p := range []string{".gitattributes", "base/services/api/deployment.yaml", "environments/prod/terraform/main.tf.json", "a-b_c.d"} {
		if err := CheckPath(p); err != nil {
			t.Errorf("CheckPath(%q): %v", p, err)
		}
	}
}

func TestTreeIsWriteOnce(t *testing.T) {
	tr := New()
	if err := tr.Add("kustomize", "a/b.yaml", []byte("1")); err != nil {
		t.Fatal(err)
	}
	err := tr.Add("terraform", "a/b.yaml", []byte("2"))
	if err == nil || !strings.Contains(err.Error(), "terraform") || !strings.Contains(err.Error(), "kustomize") {
		t.Fatalf("second claim on a path: %v (must name both emitters)", err)
	}
	if f, _ := tr.Get("a/b.yaml"); string(f.Data) != "1" {
		t.Errorf("first content replaced: %q", f.Data)
	}
	if err := tr.Add("x", "../escape", nil); err == nil {
		t.Error("escaping path accepted")
	}
}

func TestFilesAreSortedWhateverTheOrderOfAdds(t *testing.T) {
	tr := New()
	var wg sync.WaitGroup
	for _, p := range []string{"c", "a/z", "b", "a/b", "a"} {
		wg.Add(1)
		go func() { defer wg.Done(); tr.Add("x", p+".yaml", nil) }()
	}
	wg.Wait()
	var got []string
	for _, f := range tr.Files() {
		got = append(got, f.Path)
	}
	if strings.Join(got, " ") != "a.yaml a/b.yaml a/z.yaml b.yaml c.yaml" {
		t.Errorf("order: %v", got)
	}
}

func TestEncodersStampTheMarker(t *testing.T) {
	y, err := YAML(map[string]any{"apiVersion": "v1", "kind": "A", "status": map[string]any{}, "n": 3, "f": 1.5, "s": "08"}, map[string]any{"kind": "B"})
	if err != nil {
		t.Fatal(err)
	}
	want := "# " + Marker + "\napiVersion: v1\nf: 1.5\nkind: A\n\"n\": 3\ns: \"08\"\n---\nkind: B\n"
	if string(y) != want {
		t.Errorf("YAML:\n%s\nwant:\n%s", y, want)
	}
	j, err := JSON(map[string]any{"resource": map[string]any{}, "a": 1})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(j), "{\n  \"//\": \""+Marker+"\",\n  \"a\": 1,") {
		t.Errorf("JSON:\n%s", j)
	}
	if !Generated(y) || !Generated(j) || Generated([]byte("kind: A\n")) {
		t.Error("Generated does not recognise exactly the marked files")
	}
	if j, _ := JSON(map[string]string{"version": "~> 6.0 <b>"}); !strings.Contains(string(j), `"~> 6.0 <b>"`) {
		t.Errorf("JSON escapes HTML: %s", j)
	}
	if _, err := JSON([]int{1}); err == nil {
		t.Error("JSON accepted a non-object")
	}
}
