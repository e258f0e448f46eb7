package helmcheck_test

import (
	"strings"
	"testing"

	"github.com/idpgen/idpgen/internal/helmcheck"
)

func fixture(t *testing.T) string {
	t.Helper()
	p, ok := helmcheck.Finder{Dirs: []string{"testdata/charts"}}.Find("strict", "1.2.3")
	if !ok {
		t.Fatal("fixture chart strict 1.2.3 not found")
	}
	return p
}

func TestCheck(t *testing.T) {
	chart := fixture(t)
	for _, tc := range []struct {
		name, values, kube, want string
	}{
		{"valid", "replicas: 2\nsettings: {clusterName: acme-dev}\n", "1.35", ""},
		// The schema requires replicas; the chart's values.yaml sets it, and
		// Helm validates defaults and values merged.
		{"required key set by the chart's defaults", "settings: {clusterName: acme-dev}\n", "1.35", ""},
		{"wrong type", "replicas: two\nsettings: {clusterName: acme-dev}\n", "1.35", "replicas"},
		{"unknown top-level key", "replicas: 2\nreplica: 3\nsettings: {clusterName: acme-dev}\n", "1.35", "replica"},
		{"unknown nested key", "replicas: 2\nsettings: {clusterName: acme-dev, interruptionQueue: q}\n", "1.35", "interruptionQueue"},
		{"template failure", "replicas: 2\n", "1.35", "settings.clusterName is required"},
		{"kubeVersion constraint", "replicas: 2\nsettings: {clusterName: acme-dev}\n", "1.31", "requires Kubernetes >= 1.32.0-0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := helmcheck.Check(helmcheck.Input{ChartPath: chart, Values: []byte(tc.values), Release: "rel", Namespace: "ns", KubeVersion: tc.kube})
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				want := "replicas: 2"
				if !strings.Contains(tc.values, "replicas") {
					want = "replicas: 1"
				}
				if got := out["strict/templates/deployment.yaml"]; !strings.Contains(got, want) || !strings.Contains(got, "--cluster=acme-dev") {
					t.Errorf("rendered:\n%s", got)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error mentioning %q", err, tc.want)
			}
			schema := strings.HasPrefix(tc.name, "wrong type") || strings.HasPrefix(tc.name, "unknown")
			if err != nil && schema != strings.Contains(err.Error(), "values.schema.json") {
				t.Errorf("schema error = %v, want %v: %v", !schema, schema, err)
			}
		})
	}
}

func TestFind(t *testing.T) {
	f := helmcheck.Finder{Dirs: []string{"testdata/charts"}}
	if _, ok := f.Find("strict", "9.9.9"); ok {
		t.Error("found a version that is not there")
	}
	if _, ok := f.Find("absent", "1.2.3"); ok {
		t.Error("found a chart that is not there")
	}
}
