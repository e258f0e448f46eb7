package upgrade

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"cuelang.org/go/cue"

	"github.com/idpgen/idpgen/internal/diag"
	"github.com/idpgen/idpgen/internal/eksversions"
	"github.com/idpgen/idpgen/internal/model"
	"github.com/idpgen/idpgen/internal/tree"
)

// Plan is the ordered upgrade of one environment by one minor.
type Plan struct {
	Env, From, To string
	Steps         []Step
}

// Step is one stage of the upgrade.
type Step struct {
	Title string
	Items []Item
}

// Item is one thing to do or check; Block marks what stops the upgrade
// until it is done.
type Item struct {
	Text  string
	Block bool
}

// Blocked reports whether anything blocks the upgrade.
func (p *Plan) Blocked() bool {
	for _, s := range p.Steps {
		for _, it := range s.Items {
			if it.Block {
				return true
			}
		}
	}
	return false
}

// PlanInput is what a plan is made from.
type PlanInput struct {
	Platform *model.Platform
	Tree     *tree.Tree // the rendered tree, for the API scan at the target
	Env      string
	To       string // "" = the next minor
	// Committed and OutDir as in Input.
	Committed map[string]string
	OutDir    string
	Today     string
}

// NewPlan plans the upgrade of one environment. The error is for an
// environment or target it cannot plan for at all.
func NewPlan(in PlanInput) (*Plan, error) {
	p := in.Platform
	env := p.Environments[in.Env]
	if env == nil {
		return nil, fmt.Errorf("unknown environment %q; expected one of: %s", in.Env, strings.Join(slices.Sorted(maps.Keys(p.Environments)), ", "))
	}
	from := env.Kubernetes.Version
	fromN, ok := eksversions.ParseMinor(from)
	if !ok {
		return nil, fmt.Errorf("environment %q runs %q, which is not a Kubernetes minor", env.Name, from)
	}
	to := in.To
	if to == "" {
		to = eksversions.Minor(fromN + 1)
	}
	toN, ok := eksversions.ParseMinor(to)
	if !ok {
		return nil, fmt.Errorf("--to %q is not a Kubernetes minor such as 1.36", to)
	}
	pl := &Plan{Env: env.Name, From: from, To: to}
	srcPos := func(sel cue.Path) string {
		pos := diag.SourcePos(env.Src.LookupPath(sel))
		if !pos.IsValid() {
			return ""
		}
		return fmt.Sprintf(" (%s:%d)", diag.RelPath(pos.Filename()), pos.Line())
	}

	// 1. Preconditions.
	pre := Step{Title: "Preconditions"}
	ok1 := func(format string, args ...any) {
		pre.Items = append(pre.Items, Item{Text: fmt.Sprintf(format, args...)})
	}
	block := func(st *Step, format string, args ...any) {
		st.Items = append(st.Items, Item{Text: fmt.Sprintf(format, args...), Block: true})
	}
	switch {
	case toN <= fromN:
		block(&pre, "%s is not newer than %s: EKS cannot downgrade a cluster", to, from)
	case toN > fromN+1:
		block(&pre, "EKS upgrades one minor at a time: plan %s first", eksversions.Minor(fromN+1))
	default:
		ok1("one minor: %s to %s", from, to)
	}
	target, known := eksversions.Lookup(to)
	switch {
	case !known:
		block(&pre, "EKS does not offer Kubernetes %s in idpgen's EKS version table (checked %s, %s)", to, eksversions.Checked, eksversions.Source)
	case target.PhaseOn(in.Today) == eksversions.Ended:
		block(&pre, "Kubernetes %s is past EKS extended support (ended %s)", to, target.ExtendedEnd)
	default:
		ok1("EKS offers Kubernetes %s", describeMinor(to, in.Today))
		if target.PhaseOn(in.Today) == eksversions.Extended {
			ok1("note: %s is already in extended support ($%.2f per cluster-hour); consider going on to %s", to, eksversions.ExtendedUSDPerHour, eksversions.Minor(toN+1))
		}
		if target.Approximate {
			ok1("note: the EKS dates of %s are approximate in the table: %s", to, target.Note)
		}
	}
	if was, ok := in.Committed[env.Name]; ok && was != from {
		block(&pre, "%s still declares %s for %s: render and apply the change to %s first", in.OutDir, was, env.Name, from)
	}
	// Promotion order: every environment before this one runs to already;
	// every other stays within one minor of to.
	for _, other := range p.EnvironmentList {
		if other == env {
			continue
		}
		n, ok := eksversions.ParseMinor(other.Kubernetes.Version)
		if !ok {
			continue
		}
		switch {
		case other.Promotion < env.Promotion && n < toN:
			block(&pre, "environment %q comes before %q in the promotion order and runs %s: upgrade it to %s first (idpgen upgrade plan %s)", other.Name, env.Name, other.Kubernetes.Version, to, other.Name)
		case n < toN-1:
			block(&pre, "environment %q runs %s; environments may differ by at most one minor: upgrade it to %s first", other.Name, other.Kubernetes.Version, eksversions.Minor(toN-1))
		default:
			ok1("environment %q runs %s", other.Name, other.Kubernetes.Version)
		}
	}
	// Objects the tree applies to this environment, at the target.
	if in.Tree != nil {
		findings := ScanTree(in.Tree, func(file string) (int, bool) {
			if rest, ok := strings.CutPrefix(file, "environments/"); ok {
				return toN, strings.HasPrefix(rest, env.Name+"/")
			}
			return toN, true
		})
		for _, f := range findings {
			text := fmt.Sprintf("%s/%s:%d: %s", in.OutDir, f.Path, f.Line, f.describe())
			if f.Status == Removed {
				block(&pre, "%s", text)
			} else {
				ok1("warning: %s", text)
			}
		}
		if len(findings) == 0 {
			ok1("no object of the rendered tree uses an API version that %s deprecates or removes (%s)", to, APISource)
		}
	}
	pl.Steps = append(pl.Steps, pre)

	// 2. Control plane.
	cp := Step{Title: "Control plane"}
	cp.Items = append(cp.Items,
		Item{Text: fmt.Sprintf("set environments.%s.kubernetes.version: %q%s, render, and merge", diag.Label(env.Name), to, srcPos(cue.ParsePath("kubernetes.version")))},
		Item{Text: fmt.Sprintf("terraform apply in %s/environments/%s/terraform updates aws_eks_cluster.main in place from %s to %s (about 10 minutes per minor; it cannot be rolled back)", in.OutDir, env.Name, from, to)},
	)
	if env.Kubernetes.SupportType == model.SupportStandard {
		cp.Items = append(cp.Items, Item{Text: fmt.Sprintf("upgrade_policy is STANDARD: EKS upgrades %s on its own at the end of its standard support", from)})
	}
	pl.Steps = append(pl.Steps, cp)

	// 3. Managed add-ons: in the same apply, after the control plane.
	ad := Step{Title: "EKS managed add-ons (same apply, after the control plane)"}
	for _, name := range eksversions.Addons {
		pin := env.Kubernetes.Addons[name]
		sel := diag.Sel("kubernetes", "addons", name)
		if pin == "" || pin == model.AddonVersionDefault {
			ad.Items = append(ad.Items, Item{Text: fmt.Sprintf("aws_eks_addon.%s: %s follows the cluster: EKS's default build for %s, then for %s (data.aws_eks_addon_version.%s, kubernetes_version = %s)",
				strings.ReplaceAll(name, "-", "_"), name, from, to, strings.ReplaceAll(name, "-", "_"), to)})
			continue
		}
		block(&ad, "%s is pinned to %s%s: pin a build for %s (aws eks describe-addon-versions --addon-name %s --kubernetes-version %s) or set %q", name, pin, srcPos(sel), to, name, to, eksversions.AddonDefault)
	}
	pl.Steps = append(pl.Steps, ad)

	// 4. Charts: each catalog range must include the target.
	ch := Step{Title: "Charts (catalog ranges must include " + to + ")"}
	for _, a := range p.Addons.List() {
		if !a.In(env.Name) {
			continue
		}
		cat, ok := p.Catalog[a.Key]
		if !ok {
			continue
		}
		version := a.ChartVersion(cat)
		kr := cat.Releases[version]
		if kr.Contains(to) {
			ch.Items = append(ch.Items, Item{Text: fmt.Sprintf("%s %s supports %s to %s", a.Key, version, kr.KubeMin, kr.KubeMax)})
			continue
		}
		var fits []string
		for _, r := range slices.Sorted(maps.Keys(cat.Releases)) {
			if cat.Releases[r].Contains(to) {
				fits = append(fits, r)
			}
		}
		how := "no approved release supports it: review one and add it to catalog." + a.Key + ".releases"
		if len(fits) > 0 {
			how = "approved releases that do: " + strings.Join(fits, ", ") + " (set addons." + a.Key + ".version or catalog." + a.Key + ".current)"
		}
		block(&ch, "%s %s supports %s to %s, not %s; %s", a.Key, version, kr.KubeMin, kr.KubeMax, to, how)
	}
	if target.MinKarpenter != "" && p.Addons.Karpenter.In(env.Name) {
		v := p.Addons.Karpenter.ChartVersion(p.Catalog[model.AddonKarpenter])
		if olderThan(v, target.MinKarpenter) {
			block(&ch, "karpenter %s is older than %s, the first release that supports Kubernetes %s (Karpenter's compatibility matrix)", v, target.MinKarpenter, to)
		} else {
			ch.Items = append(ch.Items, Item{Text: fmt.Sprintf("karpenter %s: Karpenter's compatibility matrix needs %s or later for Kubernetes %s", v, target.MinKarpenter, to)})
		}
	}
	pl.Steps = append(pl.Steps, ch)

	// 5. Nodes.
	nd := Step{Title: "Nodes"}
	nd.Items = append(nd.Items, Item{Text: fmt.Sprintf("system node group: aws_eks_node_group.system follows aws_eks_cluster.main.version and rolls one node at a time (update_config.max_unavailable = 1) to the AL2023 AMI for %s, in the same apply", to)})
	if p.Addons.Karpenter.In(env.Name) {
		k := env.Sizing.Karpenter
		pinned := env.Src.LookupPath(cue.ParsePath("sizing.karpenter.amiAlias")).Exists()
		newAlias := k.AMIAlias
		if !pinned && known {
			newAlias = target.AMIAlias
		}
		if newAlias == k.AMIAlias {
			nd.Items = append(nd.Items, Item{Text: fmt.Sprintf("Karpenter: EC2NodeClass amiAlias %s resolves to the image built for %s once the control plane runs it; every node drifts and is replaced", k.AMIAlias, to)})
		} else {
			nd.Items = append(nd.Items, Item{Text: fmt.Sprintf("Karpenter: EC2NodeClass amiAlias %s -> %s (the version table's alias for %s); every node drifts and is replaced", k.AMIAlias, newAlias, to)})
		}
		if pinned {
			nd.Items = append(nd.Items, Item{Text: fmt.Sprintf("amiAlias is pinned%s: check that release %s publishes AMIs for %s, or unset it to follow the version table", srcPos(cue.ParsePath("sizing.karpenter.amiAlias")), k.AMIAlias, to)})
		}
		var paced []string
		for _, b := range k.DisruptionBudgets {
			s := "nodes " + b.Nodes
			if b.Schedule != "" {
				s += " from \"" + b.Schedule + "\" for " + b.Duration
			}
			if len(b.Reasons) > 0 {
				s += " (" + strings.Join(b.Reasons, ", ") + ")"
			}
			paced = append(paced, s)
		}
		nd.Items = append(nd.Items, Item{Text: "what paces or holds the roll: the NodePools' disruption budgets [" + strings.Join(paced, "; ") + "], every PodDisruptionBudget, and pods annotated karpenter.sh/do-not-disrupt"})
	}
	pl.Steps = append(pl.Steps, nd)

	// 6. Next.
	nx := Step{Title: "Then"}
	var after []string
	for _, other := range p.EnvironmentList {
		if other.Promotion > env.Promotion {
			after = append(after, other.Name)
		}
	}
	if len(after) > 0 {
		nx.Items = append(nx.Items, Item{Text: fmt.Sprintf("the next environment in the promotion order (%s): idpgen upgrade plan %s --to %s", strings.Join(after, ", "), after[0], to)})
	} else {
		nx.Items = append(nx.Items, Item{Text: "this is the last environment in the promotion order"})
	}
	pl.Steps = append(pl.Steps, nx)
	return pl, nil
}

// Text writes the plan for a terminal.
func (pl *Plan) Text(w io.Writer) error {
	status := "ready"
	if pl.Blocked() {
		status = "BLOCKED"
	}
	fmt.Fprintf(w, "Upgrade %s: Kubernetes %s -> %s (%s)\n", pl.Env, pl.From, pl.To, status)
	for i, s := range pl.Steps {
		fmt.Fprintf(w, "\n%d. %s\n", i+1, s.Title)
		for _, it := range s.Items {
			mark := "  - "
			if it.Block {
				mark = "  ! BLOCKED: "
			}
			fmt.Fprintln(w, mark+it.Text)
		}
	}
	return nil
}

// Markdown writes the plan as a pull-request comment or issue.
func (pl *Plan) Markdown(w io.Writer) error {
	status := "ready"
	if pl.Blocked() {
		status = "**blocked**"
	}
	fmt.Fprintf(w, "## Upgrade `%s`: Kubernetes %s → %s (%s)\n", pl.Env, pl.From, pl.To, status)
	for i, s := range pl.Steps {
		fmt.Fprintf(w, "\n### %d. %s\n\n", i+1, s.Title)
		for _, it := range s.Items {
			if it.Block {
				fmt.Fprintln(w, "- [ ] **blocked:** "+mdEscape(it.Text))
			} else {
				fmt.Fprintln(w, "- "+mdEscape(it.Text))
			}
		}
	}
	return nil
}

// mdEscape keeps a line from turning into markup it does not mean.
func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;").Replace(s)
}

// olderThan compares release versions ("1.14.1") by their numeric parts;
// an unparsable part compares as 0.
func olderThan(v, min string) bool {
	a, b := strings.Split(strings.TrimPrefix(v, "v"), "."), strings.Split(min, ".")
	for i := range max(len(a), len(b)) {
		x, y := 0, 0
		if i < len(a) {
			x, _ = strconv.Atoi(a[i])
		}
		if i < len(b) {
			y, _ = strconv.Atoi(b[i])
		}
		if x != y {
			return x < y
		}
	}
	return false
}
