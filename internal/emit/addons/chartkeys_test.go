package addons_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart/loader"

	"github.com/idpgen/idpgen/internal/crdschema"
	"github.com/idpgen/idpgen/internal/emit/addons"
	"github.com/idpgen/idpgen/internal/helmcheck"
)

// moduleChart is where a release's chart lives in an upstream Go module
// pinned in internal/crdschema/pin/go.mod.
type moduleChart struct {
	module string
	dir    string // the chart's directory in the module
	// catalog is the catalog version (schemas/catalog.cue) the pinned
	// module stands for; the test fails when the catalog moves on and the
	// pin does not.
	catalog string
	// chartYAML, when set, is the version the module's Chart.yaml states
	// instead of catalog, and why.
	chartYAML, why string
}

const istioWhy = "Istio's source tree carries its charts at version 1.0.0; the release sets the version when it packages them"

var moduleCharts = map[string]moduleChart{
	"gatekeeper":       {module: crdschema.Gatekeeper, dir: "charts/gatekeeper", catalog: "3.23.0"},
	"karpenter":        {module: crdschema.Karpenter, dir: "charts/karpenter", catalog: "1.14.1", chartYAML: "1.13.0", why: "the v1.14.1 tag's Chart.yaml is bumped only when the release packages the chart"},
	"metrics-server":   {module: crdschema.MetricsServer, dir: "charts/metrics-server", catalog: "3.12.2"},
	"external-secrets": {module: crdschema.ExternalSecrets, dir: "deploy/charts/external-secrets", catalog: "1.3.1"},
	"istio-base":       {module: crdschema.Istio, dir: "manifests/charts/base", catalog: "1.30.3", chartYAML: "1.0.0", why: istioWhy},
	"istiod":           {module: crdschema.Istio, dir: "manifests/charts/istio-control/istio-discovery", catalog: "1.30.3", chartYAML: "1.0.0", why: istioWhy},
	"istio-cni":        {module: crdschema.Istio, dir: "manifests/charts/istio-cni", catalog: "1.30.3", chartYAML: "1.0.0", why: istioWhy},
	"ztunnel":          {module: crdschema.Istio, dir: "manifests/charts/ztunnel", catalog: "1.30.3", chartYAML: "1.0.0", why: istioWhy},
	"vault":            {module: crdschema.Vault, dir: ".", catalog: "0.34.1"},
	"velero":           {module: crdschema.Velero, dir: "charts/velero", catalog: "12.1.0"},
	"vpa":              {module: crdschema.VPA, dir: "charts/vertical-pod-autoscaler", catalog: "0.11.0", chartYAML: "0.9.0", why: "no module version carries chart 0.11.0; 0.9.0 (VPA 1.7.3) is the nearest, with 0.13.0"},
}

// notFromModules are the releases whose charts no Go module the proxy
// serves carries; `idpgen vet` checks them when `idpgen charts pull` has
// fetched them.
var notFromModules = map[string]string{
	"argocd":                       "the proxy serves github.com/argoproj/argo-helm only at commits after argo-cd-10.1.1 (10.8.0), and the argo-cd chart needs its redis-ha dependency, which the source tree does not hold",
	"datadog":                      "the proxy serves no version of github.com/DataDog/helm-charts",
	"trivy-operator":               "the proxy serves no version of github.com/aquasecurity/trivy-operator",
	"aws-load-balancer-controller": "the proxy serves sigs.k8s.io/aws-load-balancer-controller only at v1.1.9 (2020); the v2 tags are not valid for that module path",
}

// readOnlyWhen lists emitted keys that a chart reads only under a condition
// the values do not meet in some environment, keyed "release: path", with
// the reason they are still emitted.
var readOnlyWhen = map[string]string{}

// Every values key idpgen emits is read by the chart's templates: changing
// it alone changes what the chart renders (helmcheck.Unread). A key no
// template reads has no effect, however plausible its name (gatekeeper's
// top-level exemptNamespaces was one). Checked for every chart a pinned Go
// module carries, for each distinct values file of the example platform.
func TestEveryEmittedValueIsRead(t *testing.T) {
	p, tr := example(t)
	unread := map[string]bool{}
	done := map[string]bool{}
	for _, env := range p.EnvironmentList {
		for _, r := range addons.Releases(p, env) {
			mc, ok := moduleCharts[r.Name]
			if !ok {
				if notFromModules[r.Name] == "" {
					t.Errorf("release %s: no chart from a Go module and no reason why", r.Name)
				}
				continue
			}
			f, ok := tr.Get(r.ValuesPath)
			if !ok {
				t.Fatalf("%s: no values", r.ValuesPath)
			}
			if done[r.Name+"\x00"+string(f.Data)] {
				continue // same values as another environment's
			}
			done[r.Name+"\x00"+string(f.Data)] = true
			dir := chartDir(t, r.Name, r.Chart, r.Version, mc)
			in := helmcheck.Input{ChartPath: dir, Values: f.Data, Release: r.Name, Namespace: r.Namespace, KubeVersion: env.Kubernetes.Version}
			if _, err := helmcheck.Check(in); err != nil {
				t.Errorf("%s: %v", r.ValuesPath, err)
				continue
			}
			keys, err := helmcheck.Unread(in)
			if err != nil {
				t.Errorf("%s: %v", r.ValuesPath, err)
				continue
			}
			for _, k := range keys {
				key := r.Name + ": " + k
				unread[key] = true
				if readOnlyWhen[key] == "" {
					t.Errorf("%s: %s is read by no template of chart %s (%s/%s)", r.ValuesPath, k, r.Chart, mc.module, mc.dir)
				}
			}
		}
	}
	for key := range readOnlyWhen {
		if !unread[key] {
			t.Errorf("readOnlyWhen lists %q, which is read everywhere now: drop it", key)
		}
	}
}

// chartDir returns the chart's directory in the module cache, after
// checking it is the chart and version the catalog installs.
func chartDir(t *testing.T, release, chart, version string, mc moduleChart) string {
	t.Helper()
	if version != mc.catalog {
		t.Fatalf("release %s is at chart %s, but %s is pinned for %s: bump it in internal/crdschema/pin/go.mod", release, version, mc.module, mc.catalog)
	}
	root, err := crdschema.ModuleDir(mc.module)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, filepath.FromSlash(mc.dir))
	if _, err := os.Stat(dir); err != nil {
		t.Fatal(err)
	}
	c, err := loader.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := version
	if mc.chartYAML != "" {
		if mc.why == "" {
			t.Fatalf("release %s: the pinned chart is %s, not %s, and nothing says why", release, mc.chartYAML, version)
		}
		want = mc.chartYAML
	}
	if c.Name() != chart || c.Metadata.Version != want {
		t.Fatalf("release %s: %s holds chart %s %s, want %s %s", release, dir, c.Name(), c.Metadata.Version, chart, want)
	}
	return dir
}

// The audit pod exempts the namespaces the values exempt: chart 3.23 passes
// controllerManager.exemptNamespaces to it (the controller manager also
// exempts its own namespace unconditionally, so only audit shows the fix).
func TestGatekeeperAuditGetsExemptions(t *testing.T) {
	p, tr := example(t)
	for _, env := range p.EnvironmentList {
		for _, r := range addons.Releases(p, env) {
			if r.Name != "gatekeeper" {
				continue
			}
			f, _ := tr.Get(r.ValuesPath)
			out, err := helmcheck.Check(helmcheck.Input{
				ChartPath: chartDir(t, r.Name, r.Chart, r.Version, moduleCharts[r.Name]),
				Values:    f.Data, Release: r.Name, Namespace: r.Namespace, KubeVersion: env.Kubernetes.Version,
			})
			if err != nil {
				t.Fatal(err)
			}
			audit := out["gatekeeper/templates/gatekeeper-audit-deployment.yaml"]
			if !strings.Contains(audit, "- --exempt-namespace="+r.Namespace+"\n") {
				t.Errorf("%s: the audit Deployment does not exempt %s:\n%s", env.Name, r.Namespace, audit)
			}
		}
	}
}
