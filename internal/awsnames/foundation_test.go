package awsnames

import (
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
	want := "karpenter/karpenter kube-system/aws-load-balancer-controller kube-system/ebs-csi-controller-sa velero/velero vault/vault t/" + strings.Repeat("s", 40)
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
	if p, ok := EKSVersion("1.32"); !ok || p != SupportExtended {
		t.Errorf("1.32: %s %v", p, ok)
	}
	if _, ok := EKSVersion("1.30"); ok {
		t.Error("1.30 is no longer offered")
	}
}
