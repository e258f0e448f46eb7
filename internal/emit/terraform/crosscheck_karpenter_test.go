package terraform_test

import (
	"strings"
	"testing"

	"github.com/idpgen/idpgen/internal/awsnames"
	. "github.com/idpgen/idpgen/internal/emit/terraform"
	"github.com/idpgen/idpgen/internal/tree"
)

// The cross-check proves each name an EC2NodeClass uses declared by the
// environment's Terraform, as the kind of thing Karpenter needs: a wrong
// role, a selector tag on no subnet or security group, an undeclared or
// unprovable volume key are each reported; so is Terraform that stops
// tagging the subnets.
func TestCrossCheckNodeClass(t *testing.T) {
	p := loadExample(t)
	tr := renderAll(t, p)
	dev := p.Environments["dev"]
	n := awsnames.For(p, dev)
	_, cluster := n.DiscoveryTag()
	const nodeClass = "environments/dev/karpenter/ec2nodeclass.yaml"
	const network = "environments/dev/terraform/network.tf.json"
	if _, ok := tr.Get(nodeClass); !ok {
		t.Fatalf("%s not rendered", nodeClass)
	}
	if _, ok := tr.Get(network); !ok {
		t.Fatalf("%s not rendered", network)
	}
	for _, tc := range []struct {
		file, old, new, want string
	}{
		{nodeClass, "role: " + n.KarpenterNodeRole(), "role: " + n.SystemNodeRole() + "-x", `uses node role "acme-dev-system-node-x", but environments/dev/terraform declares no iam-role`},
		{nodeClass, "karpenter.sh/discovery: " + cluster + "\n  subnetSelectorTerms", "karpenter.sh/discovery: other\n  subnetSelectorTerms",
			"selects karpenter.sh/discovery=other in securityGroupSelectorTerms, but no aws_security_group in environments/dev/terraform carries that tag"},
		{nodeClass, "subnetSelectorTerms:\n  - tags:\n      karpenter.sh/discovery", "subnetSelectorTerms:\n  - tags:\n      kubernetes.io/role/internal-elb",
			"selects by tag kubernetes.io/role/internal-elb in subnetSelectorTerms; environments/dev/terraform tags its resources with karpenter.sh/discovery only"},
		{nodeClass, n.NodeVolumeKeyAlias(), "alias/acme-dev-nope", `encrypts a volume with arn:aws:kms:eu-west-1:111111111111:alias/acme-dev-nope, but environments/dev/terraform declares no kms-alias "alias/acme-dev-nope"`},
		{nodeClass, n.KMSAliasARN(n.NodeVolumeKeyAlias()), "1234abcd-12ab-34cd-56ef-1234567890ab", `encrypts a volume with "1234abcd-12ab-34cd-56ef-1234567890ab", not a KMS alias ARN`},
		{network, `"karpenter.sh/discovery"`, `"karpenter.sh/discovered"`, "selects karpenter.sh/discovery=" + cluster + " in subnetSelectorTerms, but no aws_subnet in environments/dev/terraform carries that tag"},
	} {
		bad := tree.New()
		replaced := false
		for _, f := range tr.Files() {
			data := f.Data
			if f.Path == tc.file {
				s := string(data)
				replaced = strings.Contains(s, tc.old)
				data = []byte(strings.ReplaceAll(s, tc.old, tc.new))
			}
			if err := bad.Add(f.Emitter, f.Path, data); err != nil {
				t.Fatal(err)
			}
		}
		if !replaced {
			t.Fatalf("%s does not contain %q", tc.file, tc.old)
		}
		err := CrossCheck(p, bad, "dev")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q -> %q: got %v, want %q", tc.old, tc.new, err, tc.want)
		}
	}
}
