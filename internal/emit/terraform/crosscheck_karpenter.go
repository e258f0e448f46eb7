package terraform

import (
	"bytes"
	"fmt"
	"path"
	"regexp"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/idpgen/idpgen/internal/awsnames"
	"github.com/idpgen/idpgen/internal/tree"
)

// tagOn is the Declared kind of a discovery tag value on resources of a
// Terraform type: Karpenter selects subnets and security groups by it, so
// it must be on those, not merely somewhere.
func tagOn(typ string) string { return awsnames.KindTag + " on " + typ }

var kmsAliasARN = regexp.MustCompile(`^arn:aws:kms:[a-z0-9-]+:[0-9]{12}:(alias/[A-Za-z0-9/_-]+)$`)

// nodeClassProblems holds every EC2NodeClass under
// environments/<env>/karpenter/ to env's Terraform, field by field (the
// scan of CrossCheck finds names anywhere; this proves each one Karpenter
// uses is the right kind of thing): the node role is a declared role,
// every subnet and security-group selector tag is the discovery tag and
// is on a declared subnet and security group, and every volume key is an
// alias the module declares.
func nodeClassProblems(t *tree.Tree, env string, declared Declared) []string {
	var out []string
	dir := path.Join("environments", env, "karpenter") + "/"
	discovery := awsnames.DiscoveryTagKey
	for _, f := range t.Files() {
		if !strings.HasPrefix(f.Path, dir) || path.Base(f.Path) == "kustomization.yaml" {
			continue
		}
		for _, doc := range bytes.Split(f.Data, []byte("\n---\n")) {
			var nc struct {
				Kind     string `json:"kind"`
				Metadata struct {
					Name string `json:"name"`
				} `json:"metadata"`
				Spec struct {
					Role                       string                             `json:"role"`
					SubnetSelectorTerms        []struct{ Tags map[string]string } `json:"subnetSelectorTerms"`
					SecurityGroupSelectorTerms []struct{ Tags map[string]string } `json:"securityGroupSelectorTerms"`
					BlockDeviceMappings        []struct {
						EBS struct {
							KMSKeyID string `json:"kmsKeyID"`
						} `json:"ebs"`
					} `json:"blockDeviceMappings"`
				} `json:"spec"`
			}
			if err := yaml.Unmarshal(doc, &nc); err != nil {
				out = append(out, fmt.Sprintf("%s: %v", f.Path, err))
				continue
			}
			if nc.Kind != "EC2NodeClass" {
				continue
			}
			what := fmt.Sprintf("%s: EC2NodeClass %s", f.Path, nc.Metadata.Name)
			if !declared.Has(awsnames.KindRole, nc.Spec.Role) {
				out = append(out, fmt.Sprintf("%s uses node role %q, but %s declares no %s %q", what, nc.Spec.Role, Dir(env), awsnames.KindRole, nc.Spec.Role))
			}
			selectors := []struct {
				field, typ string
				terms      []struct{ Tags map[string]string }
			}{
				{"subnetSelectorTerms", "aws_subnet", nc.Spec.SubnetSelectorTerms},
				{"securityGroupSelectorTerms", "aws_security_group", nc.Spec.SecurityGroupSelectorTerms},
			}
			for _, s := range selectors {
				if len(s.terms) == 0 {
					out = append(out, fmt.Sprintf("%s has no %s to prove against %s", what, s.field, Dir(env)))
				}
				for _, term := range s.terms {
					for k, v := range term.Tags {
						switch {
						case k != discovery:
							out = append(out, fmt.Sprintf("%s selects by tag %s in %s; %s tags its resources with %s only", what, k, s.field, Dir(env), discovery))
						case !declared.Has(tagOn(s.typ), v):
							out = append(out, fmt.Sprintf("%s selects %s=%s in %s, but no %s in %s carries that tag", what, k, v, s.field, s.typ, Dir(env)))
						}
					}
				}
			}
			for _, d := range nc.Spec.BlockDeviceMappings {
				m := kmsAliasARN.FindStringSubmatch(d.EBS.KMSKeyID)
				switch {
				case m == nil:
					out = append(out, fmt.Sprintf("%s encrypts a volume with %q, not a KMS alias ARN the cross-check can prove declared", what, d.EBS.KMSKeyID))
				case !declared.Has(awsnames.KindKMSAlias, m[1]):
					out = append(out, fmt.Sprintf("%s encrypts a volume with %s, but %s declares no %s %q", what, d.EBS.KMSKeyID, Dir(env), awsnames.KindKMSAlias, m[1]))
				}
			}
		}
	}
	return out
}
