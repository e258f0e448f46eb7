package policy_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/idpgen/idpgen/internal/policy"
	"github.com/idpgen/idpgen/internal/vaultnames"
)

// The Vault snapshot CronJob runs in the Vault add-on's namespace, which
// every constraint excludes (policy.Exclusions, with the reason). Without
// that exclusion it would still pass every constraint except the two the
// reason names: its images are upstream ones (not in allowedRegistries)
// and no team owns the namespace (no idpgen.dev/team label). Pod Security,
// resources, image pinning and token automount all hold.
func TestVaultSnapshotsPassPoliciesButImagesAndTeam(t *testing.T) {
	p, _ := example(t)
	templates := policy.Templates(p)
	engine, errs := policy.Compile(templates)
	if errs != nil {
		t.Fatal(errs[0])
	}
	ns := p.Addons.Vault.Namespace
	for _, env := range p.EnvironmentList {
		if _, on := p.VaultSnapshotsIn(env); !on {
			continue
		}
		var objs []*policy.Object
		for _, o := range envObjects(t, env.Name) {
			if o.Namespace == ns && o.Name == vaultnames.Snapshots {
				objs = append(objs, o)
			}
		}
		if len(objs) != 2 {
			t.Fatalf("%s: %d snapshot objects built, want the ServiceAccount and the CronJob", env.Name, len(objs))
		}
		constraints := policy.Constraints(p, env, templates)
		for _, c := range constraints {
			if !slices.Contains(c.Match.ExcludedNamespaces, ns) {
				t.Fatalf("%s: %s does not exclude %s", env.Name, c.Name(), ns)
			}
			c.Match.ExcludedNamespaces = slices.DeleteFunc(slices.Clone(c.Match.ExcludedNamespaces), func(s string) bool { return s == ns })
		}
		v, err := engine.Evaluate(context.Background(), objs, constraints)
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[string]bool{}
		for _, x := range v {
			k := x.Constraint.Template.Kind
			kinds[k] = true
			switch {
			case k == policy.KindAllowedRepos && strings.Contains(x.Message, "is not from an allowed registry"):
			case k == policy.KindRequiredLabels && strings.Contains(x.Message, "idpgen.dev/team"):
			default:
				t.Errorf("%s: %s %s: %s", env.Name, k, x.Object.ID(), x.Message)
			}
		}
		if !kinds[policy.KindAllowedRepos] || !kinds[policy.KindRequiredLabels] {
			t.Errorf("%s: the exclusion's reasons no longer hold (violations: %v): narrow it", env.Name, kinds)
		}
	}
}

// The snapshot pod reaches Vault's Service (8200) and S3 (443) and the EKS
// Pod Identity agent on its node: nothing idpgen deploys restricts traffic
// in the Vault add-on's namespace (NetworkPolicies and Istio policies are
// per team namespace and service, and the namespace is not in the mesh).
// Should that change, its egress must be opened with it: this test fails
// first.
func TestNoTrafficPolicyInVaultNamespace(t *testing.T) {
	p, _ := example(t)
	for _, env := range p.EnvironmentList {
		for _, o := range envObjects(t, env.Name) {
			if o.Namespace == p.Addons.Vault.Namespace && (o.Kind == "NetworkPolicy" || o.Kind == "AuthorizationPolicy" || o.Kind == "PeerAuthentication") {
				t.Errorf("%s: %s restricts traffic in %s: allow the snapshot CronJob's egress to Vault (8200) and S3 (443)", env.Name, o.ID(), o.Namespace)
			}
		}
	}
}
