package argocd_test

import (
	"bytes"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/idpgen/idpgen/internal/golden"

	"github.com/idpgen/idpgen/internal/emit/addons"
	"github.com/idpgen/idpgen/internal/emit/argocd"
	"github.com/idpgen/idpgen/internal/emit/kustomize"
	"github.com/idpgen/idpgen/internal/model"
	"github.com/idpgen/idpgen/internal/render"
	"github.com/idpgen/idpgen/internal/tree"
)

// repoRoot is the repository root, whatever directory the test runs in.
func repoRoot(t testing.TB) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

// example loads and renders the example platform with the emitters the
// Argo CD objects depend on.
func example(t testing.TB) (*model.Platform, *tree.Tree) {
	t.Helper()
	p, err := render.Load(filepath.Join(repoRoot(t), "platforms", "example"))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := render.Model(p, []render.Emitter{kustomize.New(), addons.New(), argocd.New()})
	if err != nil {
		t.Fatal(err)
	}
	return p, tr
}

func TestExampleIsConsistent(t *testing.T) {
	p, tr := example(t)
	for _, env := range p.EnvironmentList {
		if problems := argocd.Check(p, env, tr); len(problems) > 0 {
			t.Errorf("%s: %d problems:\n%v", env.Name, len(problems), problems)
		}
	}
}

// The golden files hold every Argo CD file of the example.
func TestGolden(t *testing.T) {
	_, tr := example(t)
	var all bytes.Buffer
	for _, f := range tr.Files() {
		if seg := strings.Split(f.Path, "/"); len(seg) == 4 && seg[2] == "argocd" {
			all.WriteString("-- " + f.Path + " --\n")
			all.Write(f.Data)
		}
	}
	golden.Check(t, "testdata/example.txtar", all.Bytes())
}

func read(t *testing.T, tr *tree.Tree, env string) *argocd.Objects {
	t.Helper()
	o, err := argocd.Read(tr, env)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// Every Application (written or generated) names a project that exists and
// allows its destination; team Applications stay in the team's namespaces.
func TestProjectsAllowDestinations(t *testing.T) {
	p, tr := example(t)
	for _, env := range p.EnvironmentList {
		o := read(t, tr, env.Name)
		services := 0
		for _, a := range o.Applications {
			proj, ok := o.Projects[a.Spec.Project]
			if !ok {
				t.Fatalf("%s: %s: project %s missing", env.Name, a.Metadata.Name, a.Spec.Project)
			}
			if err := proj.Permits(a.Application); err != nil {
				t.Errorf("%s: %v", env.Name, err)
			}
			if team, ok := p.Teams[a.Spec.Project]; ok {
				services++
				if !slices.Contains(team.Namespaces, a.Spec.Destination.Namespace) {
					t.Errorf("%s: %s deploys to %s, outside team %s", env.Name, a.Metadata.Name, a.Spec.Destination.Namespace, team.Name)
				}
				if !slices.Contains(a.Spec.SyncPolicy.SyncOptions, "CreateNamespace=false") {
					t.Errorf("%s: %s may create its namespace", env.Name, a.Metadata.Name)
				}
			}
		}
		if services == 0 {
			t.Errorf("%s: no service Applications generated", env.Name)
		}
		// The projects deny what they must: a team project refuses another
		// team's namespace and every cluster-scoped kind.
		shop := o.Projects["shop"]
		if err := shop.Permits(argocd.Application{Spec: argocd.ApplicationSpec{Destination: argocd.Destination{Server: argocd.InCluster, Namespace: "payments"}}}); err == nil {
			t.Errorf("%s: project shop allows namespace payments", env.Name)
		}
		if len(shop.Spec.ClusterResourceWhitelist) != 0 || len(shop.Spec.ClusterResourceBlacklist) == 0 {
			t.Errorf("%s: project shop does not deny cluster-scoped resources", env.Name)
		}
		// A team's role is its ssoGroup plus the owners that are IdP
		// groups; owners that are emails cannot match a groups claim.
		for team, want := range map[string][]string{"shop": {"team-shop"}, "payments": {"team-payments", "payments-oncall"}} {
			if g := o.Projects[team].Spec.Roles[0].Groups; !slices.Equal(g, want) {
				t.Errorf("%s: %s role groups = %v, want %v", env.Name, team, g, want)
			}
		}
	}
}

// Sync policy follows the tier: nonprod prunes automatically, prod does
// not; both self-heal and retry with backoff.
func TestSyncPolicyByTier(t *testing.T) {
	p, tr := example(t)
	for _, env := range p.EnvironmentList {
		for _, a := range read(t, tr, env.Name).Applications {
			sp := a.Spec.SyncPolicy
			if sp == nil || sp.Automated == nil || !sp.Automated.SelfHeal {
				t.Errorf("%s: %s does not self-heal", env.Name, a.Metadata.Name)
				continue
			}
			if sp.Retry == nil || sp.Retry.Backoff == nil || sp.Retry.Limit < 1 {
				t.Errorf("%s: %s has no retry with backoff", env.Name, a.Metadata.Name)
			}
			if a.Metadata.Name == "namespaces" || a.Metadata.Name == "cluster" || a.Metadata.Name == "argocd" || a.Metadata.Name == argocd.GatewayAPIApp {
				if sp.Automated.Prune {
					t.Errorf("%s: %s prunes automatically", env.Name, a.Metadata.Name)
				}
				continue
			}
			if sp.Automated.Prune == env.Prod() {
				t.Errorf("%s (%s): %s has automated prune %v", env.Name, env.Tier, a.Metadata.Name, sp.Automated.Prune)
			}
			if env.Prod() && !slices.Contains(sp.SyncOptions, "PruneLast=true") {
				t.Errorf("%s: %s lacks PruneLast", env.Name, a.Metadata.Name)
			}
		}
	}
}

// Applications of autoscaled services ignore replicas; others don't.
func TestReplicasIgnoredWhenHPAOwnsThem(t *testing.T) {
	p, tr := example(t)
	for _, env := range p.EnvironmentList {
		for _, a := range read(t, tr, env.Name).Applications {
			svc, ok := p.Services[a.Metadata.Name]
			if !ok {
				continue
			}
			ignores := slices.ContainsFunc(a.Spec.IgnoreDifferences, func(d argocd.IgnoreDifferences) bool {
				return slices.Contains(d.JSONPointers, "/spec/replicas") && d.Name == svc.Name
			})
			if want := svc.In(env).Autoscaling != nil; ignores != want {
				t.Errorf("%s: %s ignores replicas = %v, autoscaled = %v", env.Name, svc.Name, ignores, want)
			}
		}
	}
}

// Sync waves put operators and their CRDs before the custom resources and
// Applications that need them.
func TestWavesOrderOperatorsFirst(t *testing.T) {
	p, tr := example(t)
	before := [][2]string{
		{"AppProject/platform", "Application/namespaces"},
		{"Application/namespaces", "Application/karpenter"},
		{"Application/istio-base", "Application/istiod"},
		{"Application/istiod", "Application/ztunnel"},
		{"Application/external-secrets", "Application/platform-secrets"},
		{"Application/platform-secrets", "Application/datadog"},
		{"Application/gatekeeper", "ApplicationSet/shop"},
		{"Application/vault", "ApplicationSet/payments"},
	}
	for _, env := range p.EnvironmentList {
		w := read(t, tr, env.Name).Waves
		for _, b := range before {
			x, ok1 := w[b[0]]
			y, ok2 := w[b[1]]
			if !ok1 || !ok2 || x >= y {
				t.Errorf("%s: %s (wave %d, found %v) must sync before %s (wave %d, found %v)", env.Name, b[0], x, ok1, b[1], y, ok2)
			}
		}
	}
	// Components (constraints, NodePools) get an Application after their
	// operator when another emitter renders their directory.
	pl, tr2 := example(t)
	extra := tree.New()
	for _, f := range tr2.Files() {
		if seg := strings.Split(f.Path, "/"); !(len(seg) == 4 && seg[2] == "argocd") {
			_ = extra.Add(f.Emitter, f.Path, f.Data)
		}
	}
	for _, env := range pl.EnvironmentList {
		_ = extra.Add("policy", path.Join("environments", env.Name, "policy", "kustomization.yaml"), []byte("resources: []\n"))
	}
	if err := argocd.New().Emit(pl, extra); err != nil {
		t.Fatal(err)
	}
	for _, env := range pl.EnvironmentList {
		w := read(t, extra, env.Name).Waves
		if w["Application/policy"] <= w["Application/gatekeeper"] {
			t.Errorf("%s: policy (wave %d) must sync after gatekeeper (wave %d)", env.Name, w["Application/policy"], w["Application/gatekeeper"])
		}
		if problems := argocd.Check(pl, env, extra); len(problems) > 0 {
			t.Errorf("%s: %v", env.Name, problems)
		}
	}
}

// The consistency check fails on deliberately broken trees.
func TestCheckCatchesBrokenTrees(t *testing.T) {
	for _, tc := range []struct {
		name   string
		break_ func(files map[string][]byte)
		want   string
	}{
		{"overlay directory missing", func(f map[string][]byte) {
			for p := range f {
				if strings.HasPrefix(p, "environments/dev/services/cart/") {
					delete(f, p)
				}
			}
		}, "path generated/environments/dev/services/cart does not exist"},
		{"directory nobody deploys", func(f map[string][]byte) {
			f["environments/dev/extras/kustomization.yaml"] = []byte("resources: []\n")
		}, "environments/dev/extras is not deployed by any Application or ApplicationSet"},
		{"directory deployed twice", func(f map[string][]byte) {
			f["environments/dev/argocd/addons.yaml"] = append(f["environments/dev/argocd/addons.yaml"], []byte(`---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: cart-again, namespace: argocd}
spec:
  project: shop
  destination: {server: "https://kubernetes.default.svc", namespace: shop}
  source: {repoURL: "https://github.com/acme/platform.git", targetRevision: main, path: generated/environments/dev/services/cart}
`)...)
		}, "environments/dev/services/cart is deployed 2 times"},
		{"project does not allow destination", func(f map[string][]byte) {
			f["environments/dev/argocd/applicationsets.yaml"] = bytes.Replace(f["environments/dev/argocd/applicationsets.yaml"], []byte("namespace: shop\n"), []byte("namespace: payments\n"), 1)
		}, "project shop does not allow destination https://kubernetes.default.svc namespace \"payments\""},
		{"terraform directory", func(f map[string][]byte) {
			f["environments/dev/terraform/main.tf.json"] = []byte("{}")
			f["environments/dev/terraform/kustomization.yaml"] = []byte("resources: []\n")
			f["environments/dev/argocd/addons.yaml"] = bytes.Replace(f["environments/dev/argocd/addons.yaml"], []byte("path: generated/environments/dev/namespaces"), []byte("path: generated/environments/dev/terraform"), 1)
		}, "is a Terraform directory; Argo CD must never deploy it"},
		{"values file missing", func(f map[string][]byte) {
			delete(f, "environments/dev/addons/velero/values.yaml")
		}, "value file $values/generated/environments/dev/addons/velero/values.yaml is not rendered"},
		{"unknown project", func(f map[string][]byte) {
			f["environments/dev/argocd/applicationsets.yaml"] = bytes.Replace(f["environments/dev/argocd/applicationsets.yaml"], []byte("project: shop"), []byte("project: shopping"), 1)
		}, `uses project "shopping", which is not rendered`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, tr := example(t)
			files := map[string][]byte{}
			for _, f := range tr.Files() {
				files[f.Path] = f.Data
			}
			tc.break_(files)
			broken := tree.New()
			for name, data := range files {
				if err := broken.Add("test", name, data); err != nil {
					t.Fatal(err)
				}
			}
			problems := argocd.Check(p, p.Environments["dev"], broken)
			if !slices.ContainsFunc(problems, func(s string) bool { return strings.Contains(s, tc.want) }) {
				t.Errorf("want a problem containing %q, got %q", tc.want, problems)
			}
			// The same problem fails vet, located on the environment.
			_, err := argocd.New().Verify(p, broken)
			if err == nil || !strings.Contains(err.Error(), "argocd: ") {
				t.Errorf("Verify: %v", err)
			}
		})
	}
}

// Webhook configurations that operators patch at runtime are ignored
// (caBundle everywhere; Istio also flips failurePolicy from Ignore to Fail),
// and the ignores are respected on sync.
func TestWebhookPatchesIgnored(t *testing.T) {
	p, tr := example(t)
	for _, env := range p.EnvironmentList {
		for _, a := range read(t, tr, env.Name).Applications {
			var paths []string
			for _, d := range a.Spec.IgnoreDifferences {
				if d.Kind == "ValidatingWebhookConfiguration" {
					paths = append(paths, d.JQPathExpressions...)
				}
			}
			switch a.Metadata.Name {
			case "istio-base", "istiod":
				if !slices.Contains(paths, ".webhooks[]?.failurePolicy") {
					t.Errorf("%s: %s does not ignore the failurePolicy istiod sets: %v", env.Name, a.Metadata.Name, paths)
				}
				fallthrough
			case "gatekeeper", "external-secrets":
				if !slices.Contains(paths, ".webhooks[]?.clientConfig.caBundle") || !slices.Contains(a.Spec.SyncPolicy.SyncOptions, "RespectIgnoreDifferences=true") {
					t.Errorf("%s: %s does not ignore injected caBundles: %v", env.Name, a.Metadata.Name, paths)
				}
			}
		}
	}
}
