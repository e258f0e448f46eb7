package terraform_test

import (
	"slices"
	"testing"

	"github.com/idpgen/idpgen/internal/awsnames"
)

// Karpenter's nodes get a key of their own for their root volumes, which
// only the Karpenter controller may use, and only through EC2 in the
// environment's region; without Karpenter there is no such key.
func TestNodeVolumeKey(t *testing.T) {
	p := loadExample(t)
	p.Addons.Karpenter.Environments = []string{"prod"}
	tr := emit(t, p)
	for _, env := range p.EnvironmentList {
		n := awsnames.For(p, env)
		d := decode(t, tr, env.Name)
		alias, ok := d.blocks("resource", "aws_kms_alias")["node_volumes"]
		if env.Name != "prod" {
			if ok {
				t.Errorf("%s: node volume key without Karpenter", env.Name)
			}
			continue
		}
		if !ok || alias["name"] != n.NodeVolumeKeyAlias() {
			t.Fatalf("%s: alias %v, want %s", env.Name, alias, n.NodeVolumeKeyAlias())
		}
		key := d.blocks("resource", "aws_kms_key")["node_volumes"]
		if key["enable_key_rotation"] != true || !slices.Contains(strs(key["depends_on"]), "aws_iam_role.karpenter") {
			t.Errorf("%s: key %v", env.Name, key)
		}
		doc := d.blocks("data", "aws_iam_policy_document")["kms_node_volumes"]
		users := 0
		for _, st := range doc["statement"].([]any) {
			s := asMap(st)
			for _, pr := range asList(s["principals"]) {
				ids := strs(asMap(pr)["identifiers"])
				if slices.Contains(ids, n.AccountRootARN()) {
					continue
				}
				users++
				if !slices.Equal(ids, []string{n.RoleARN(n.KarpenterControllerRole())}) {
					t.Errorf("%s: statement %s grants %v", env.Name, s["sid"], ids)
				}
				viaEC2 := false
				for _, c := range asList(s["condition"]) {
					cm := asMap(c)
					if cm["variable"] == "kms:ViaService" && slices.Equal(strs(cm["values"]), []string{"ec2." + env.Region + ".amazonaws.com"}) {
						viaEC2 = true
					}
				}
				if !viaEC2 {
					t.Errorf("%s: statement %s is not limited to EC2 in %s", env.Name, s["sid"], env.Region)
				}
			}
		}
		if users != 2 {
			t.Errorf("%s: %d statements for the controller, want 2 (use, grant)", env.Name, users)
		}
	}
}
