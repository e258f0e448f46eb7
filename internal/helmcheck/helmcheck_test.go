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

// Unread finds exactly the keys no template reads, whatever their value,
// and down to the leaves of maps and lists of maps.
func TestUnread(t *testing.T) {
	p, ok := helmcheck.Finder{Dirs: []string{"testdata/charts"}}.Find("reads", "0.1.0")
	if !ok {
		t.Fatal("fixture chart reads 0.1.0 not found")
	}
	for _, tc := range []struct {
		name, values string
		want         []string
	}{
		// replicas equals the chart's default: still read.
		{"all read", "replicas: 1\ntls: true\npdb: {enabled: true, maxUnavailable: 1}\n", nil},
		{"top-level typo", "replica: 2\nreplicas: 2\n", []string{"replica"}},
		// Read only when pdb.enabled is true: unread while it is false.
		{"conditionally read", "pdb: {enabled: false, maxUnavailable: 1}\n", []string{"pdb.maxUnavailable"}},
		{"nested and quoted keys", "annotations: {a.b/c: x}\nlabels: {app.kubernetes.io/part-of: x}\nsettings: {clusterName: x}\n", []string{`labels["app.kubernetes.io/part-of"]`, "settings.clusterName"}},
		{"lists of maps", "containers: [{name: app, args: [--a], image: x}]\n", []string{"containers[0].image"}},
		// A template that fails on the changed value reads it.
		{"failing template", "tls: true\n", nil},
		// owner is only written next to a random token: that template is
		// not compared, so owner cannot be shown to be read.
		{"unstable template", "owner: team-a\n", []string{"owner"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := helmcheck.Unread(helmcheck.Input{ChartPath: p, Values: []byte(tc.values), Release: "rel", Namespace: "ns", KubeVersion: "1.35"})
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("unread = %q, want %q", got, tc.want)
			}
		})
	}
}
