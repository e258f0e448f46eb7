package awsnames

import (
	"slices"
	"strings"
	"testing"

	"github.com/idpgen/idpgen/internal/model"
)

// longPlatform uses the longest names the schema allows (#Name: 40
// characters), so every derived name must be shortened to AWS's limits.
func longPlatform() (*model.Platform, *model.Environment) {
	long := strings.Repeat("a", 40)
	env := &model.Environment{Name: strings.Repeat("e", 40), Account: "123456789012", Region: "eu-west-1"}
	svc := &model.Service{Name: strings.Repeat("s", 40), Team: "t", Namespace: "t", AWS: model.ServiceAWS{Queues: []string{strings.Repeat("q", 40)}, Buckets: []string{strings.Repeat("b", 40)},
		Tables: map[string]model.DynamoDBTable{strings.Repeat("d", 40): {}}, Topics: map[string]model.SNSTopic{strings.Repeat("n", 40): {}}}}
	p := &model.Platform{Name: long, Environments: map[string]*model.Environment{env.Name: env}, Services: map[string]*model.Service{svc.Name: svc}}
	p.Addons.Karpenter.Enabled = true
	p.Addons.Vault.Enabled = true
	p.Addons.AWSLoadBalancerController.Enabled = true
	p.Addons.Velero.Enabled = true
	p.Index()
	return p, env
}

func TestNamesFitAWSLimits(t *testing.T) {
	p, env := longPlatform()
	n := For(p, env)
	limits := map[string]int{KindRole: 64, KindQueue: 80, KindBucket: 63, KindDynamoDBTable: 255, KindSNSTopic: 256}
	seen := map[string]bool{}
	for _, c := range n.Catalog(p) {
		if max, ok := limits[c.Kind]; ok && len(c.Name) > max {
			t.Errorf("%s %q is %d characters, AWS allows %d", c.Kind, c.Name, len(c.Name), max)
		}
		if seen[c.Kind+c.Name] {
			t.Errorf("%s %q listed twice", c.Kind, c.Name)
		}
		seen[c.Kind+c.Name] = true
	}
	for _, r := range []string{n.ClusterRole(), n.SystemNodeRole(), n.TeamRole(strings.Repeat("t", 40)), n.FlowLogsRole(), n.InterruptionRule("spot-interruption")} {
		if len(r) > 64 {
			t.Errorf("%q is %d characters, AWS allows 64", r, len(r))
		}
	}
	// Shortened names stay distinct.
	if n.AddonRole("velero") == n.AddonRole("vault") {
		t.Error("shortened role names collide")
	}
}

func TestPodIdentities(t *testing.T) {
	p, env := longPlatform()
	var got []string
	for _, id := range For(p, env).PodIdentities(p) {
		got = append(got, id.Namespace+"/"+id.ServiceAccount)
	}
	want := "karpenter/karpenter kube-system/aws-load-balancer-controller kube-system/aws-node kube-system/ebs-csi-controller-sa velero/velero vault/vault t/" + strings.Repeat("s", 40)
	if strings.Join(got, " ") != want {
		t.Errorf("got  %s\nwant %s", strings.Join(got, " "), want)
	}
	p.Addons.Velero.Enabled = false
	for _, id := range For(p, env).PodIdentities(p) {
		if id.ID == "velero" {
			t.Error("velero identity without the add-on")
		}
	}
}

func TestFacts(t *testing.T) {
	if z, ok := Zones("ap-northeast-1"); !ok || strings.Join(z, ",") != "ap-northeast-1a,ap-northeast-1c,ap-northeast-1d" {
		t.Errorf("ap-northeast-1: %v", z)
	}
	if _, ok := Zones("mars-1"); ok {
		t.Error("unknown region accepted")
	}
}

func TestECRImages(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want ECRImage
		ok   bool
	}{
		{"444444444444.dkr.ecr.eu-west-1.amazonaws.com/acme/checkout", ECRImage{"444444444444", "eu-west-1", "acme/checkout"}, true},
		{"444444444444.dkr.ecr.eu-west-1.amazonaws.com/acme/checkout:1.0", ECRImage{}, false}, // a repository has no tag
		{"public.ecr.aws/karpenter/controller", ECRImage{}, false},
		{"ghcr.io/acme/checkout", ECRImage{}, false},
		{"evil.com/444444444444.dkr.ecr.eu-west-1.amazonaws.com/x", ECRImage{}, false},
	} {
		got, ok := ParseECRImage(tc.in)
		if ok != tc.ok || got != tc.want {
			t.Errorf("%s: got %+v %v", tc.in, got, ok)
		}
		if ok && got.Address() != tc.in {
			t.Errorf("%s: address %s", tc.in, got.Address())
		}
	}

	p, env := longPlatform()
	n := For(p, env)
	if r := n.Registry(); r.Central || r.Account != env.Account || r.Region != env.Region {
		t.Errorf("default registry %+v", r)
	}
	if got := ECRRepositories(p, env.Name); len(got) != 1 || got[0] != p.Name+"/"+strings.Repeat("s", 40) {
		t.Errorf("repositories %v", got)
	}
	if !slices.ContainsFunc(n.Catalog(p), func(c Named) bool { return c.Kind == KindECRRepository }) {
		t.Error("the environment's own repositories are missing from its catalog")
	}
	p.AWS.Registry = &model.Registry{Account: "444444444444", Region: "us-east-1"}
	n = For(p, env)
	if r := n.Registry(); !r.Central || r.Host() != "444444444444.dkr.ecr.us-east-1.amazonaws.com" {
		t.Errorf("central registry %+v", r)
	}
	if got := n.ECRRepositoryURL("x"); got != "444444444444.dkr.ecr.us-east-1.amazonaws.com/"+p.Name+"/x" {
		t.Errorf("repository URL %s", got)
	}
	if slices.ContainsFunc(n.Catalog(p), func(c Named) bool { return c.Kind == KindECRRepository }) {
		t.Error("a central registry's repositories are in the environment's catalog")
	}
	if got := n.NodeRoles(p); !slices.Equal(got, []string{n.SystemNodeRole(), n.KarpenterNodeRole()}) {
		t.Errorf("node roles %v", got)
	}
}
