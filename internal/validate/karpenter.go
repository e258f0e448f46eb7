package validate

import (
	"fmt"
	"strings"

	"cuelang.org/go/cue/errors"

	"github.com/idpgen/idpgen/internal/diag"
	"github.com/idpgen/idpgen/internal/model"
)

// karpenter checks the sizing.karpenter knobs the schema cannot check on
// one value alone, in every environment where Karpenter runs.
func karpenter(p *model.Platform, add func(errors.Error)) {
	for _, env := range p.EnvironmentList {
		if !p.Addons.Karpenter.In(env.Name) {
			continue
		}
		k := env.Sizing.Karpenter
		if env.Prod() && strings.HasSuffix(k.AMIAlias, "@latest") {
			family, _, _ := strings.Cut(k.AMIAlias, "@")
			add(diag.At(env.Src, "sizing.karpenter.amiAlias",
				"%q follows every AMI release, which drifts and replaces every node of a prod environment at an unplanned time; pin a released version (e.g. %q) and bump it deliberately",
				k.AMIAlias, family+"@"+pinnedExample[family]))
		}
		if len(k.DisruptionBudgets) > maxBudgets {
			add(diag.At(env.Src, "sizing.karpenter.disruptionBudgets", "%d disruption budgets; a NodePool takes at most %d", len(k.DisruptionBudgets), maxBudgets))
		}
		for i, b := range k.DisruptionBudgets {
			sel := fmt.Sprintf("sizing.karpenter.disruptionBudgets[%d]", i)
			switch {
			case b.Schedule != "" && b.Duration == "":
				add(diag.At(env.Src, sel+".schedule", "a disruption budget with a schedule needs a duration (how long it stays active after each schedule hit, e.g. \"10h\")"))
			case b.Duration != "" && b.Schedule == "":
				add(diag.At(env.Src, sel+".duration", "a disruption budget with a duration needs a schedule (when it becomes active, a cron expression in UTC such as \"0 8 * * 1-5\")"))
			}
		}
	}
}

// maxBudgets is the NodePool CRD's maxItems of disruption.budgets.
const maxBudgets = 50

// pinnedExample is a released version of each AMI family, for messages:
// amazon-eks-ami v20260714 (Kubernetes 1.30-1.36), Bottlerocket v1.46.0.
var pinnedExample = map[string]string{"al2023": "v20260714", "bottlerocket": "v1.46.0"}
