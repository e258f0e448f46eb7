package policy

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"cuelang.org/go/cue"

	"github.com/idpgen/idpgen/internal/awsnames"
	"github.com/idpgen/idpgen/internal/meshnames"
	"github.com/idpgen/idpgen/internal/model"
)

// Argo CD annotations. The policy directory is deployed after Gatekeeper
// (its Application is in the add-on resources' wave); inside it, the
// templates go first, and the constraints after them: their CRDs exist
// only once Gatekeeper has ingested the template, so Argo CD must not
// dry-run them before (SkipDryRunOnMissingResource), and retries them
// until the CRD is there.
const (
	annotationWave        = "argocd.argoproj.io/sync-wave"
	annotationSyncOptions = "argocd.argoproj.io/sync-options"
	// AnnotationExclusions lists each namespace a constraint excludes, and
	// why.
	AnnotationExclusions = "idpgen.dev/excluded-namespaces"

	WaveTemplates   = 0
	WaveConstraints = 1
)

// Enforcement actions.
const (
	Deny   = "deny"
	Warn   = "warn"
	DryRun = "dryrun"
)

// Constraint is one Constraint of one environment.
type Constraint struct {
	Template   *Template
	Env        *model.Environment
	Action     string
	Match      model.PolicyMatch
	Parameters map[string]any
	// Exclusions are the namespaces excluded because what runs there
	// cannot comply, with the reason (also in an annotation).
	Exclusions []Exclusion
}

// Name is the constraint's metadata.name.
func (c *Constraint) Name() string { return c.Template.Name() }

// Exclusion is a namespace a constraint does not apply to, and why.
type Exclusion struct {
	Namespace, Reason string
}

// addonReasons says why each add-on's namespace is excluded: the upstream
// charts run images from their own registries, without idpgen's labels,
// and (for some) with the privileges their job needs. Gatekeeper's own
// namespace is also exempt in its chart.
var addonReasons = map[string]string{
	model.AddonArgoCD:                    "Argo CD's chart: upstream images (quay.io), no team label",
	model.AddonVault:                     "Vault's chart: upstream image, no team label, IPC_LOCK capability; its snapshot CronJob: upstream vault and aws-cli images, no team label",
	model.AddonKarpenter:                 "Karpenter's chart: public.ecr.aws images, no team label",
	model.AddonGatekeeper:                "Gatekeeper itself (its chart also exempts it): a broken policy must not lock out the controller",
	model.AddonIstio:                     "istiod and the CNI/proxy init need NET_ADMIN/NET_RAW and upstream images",
	model.AddonMetricsServer:             "metrics-server's chart: upstream image, no team label",
	model.AddonAWSLoadBalancerController: "AWS Load Balancer Controller's chart: public.ecr.aws image, no team label",
	model.AddonSecretsOperator:           "External Secrets' chart: ghcr.io image, no team label",
	model.AddonVPA:                       "VPA's chart: registry.k8s.io images, no team label",
	model.AddonTrivyOperator:             "Trivy Operator's scan jobs run upstream images with extra privileges",
	model.AddonDatadog:                   "the Datadog agent DaemonSet needs hostPath volumes, hostPort and host PID",
	model.AddonVelero:                    "Velero's node agent needs hostPath volumes for pod volume backups",
}

// Exclusions are the namespaces every constraint of env excludes: system
// namespaces and those of the add-ons installed there.
func Exclusions(p *model.Platform, env *model.Environment) []Exclusion {
	out := []Exclusion{
		{"kube-system", "EKS-managed add-ons (aws-node, kube-proxy, CoreDNS, EBS CSI) run privileged, on the host network, from AWS's registries"},
		{"kube-node-lease", "node heartbeats only; nothing idpgen renders"},
		{"kube-public", "cluster-info only; nothing idpgen renders"},
	}
	seen := map[string]bool{"kube-system": true, "kube-node-lease": true, "kube-public": true}
	for _, a := range p.Addons.List() {
		if !a.In(env.Name) || seen[a.Namespace] {
			continue
		}
		seen[a.Namespace] = true
		out = append(out, Exclusion{a.Namespace, addonReasons[a.Key]})
	}
	if p.Addons.Istio.In(env.Name) && !seen[meshnames.IngressNamespace] {
		out = append(out, Exclusion{meshnames.IngressNamespace, "the ingress gateways: their Service is the one LoadBalancer of the ingress path, from Istio's chart"})
	}
	slices.SortFunc(out, func(a, b Exclusion) int { return cmp.Compare(a.Namespace, b.Namespace) })
	return out
}

type kinds = struct {
	APIGroups []string `json:"apiGroups"`
	Kinds     []string `json:"kinds"`
}

var (
	podKinds = []kinds{
		{APIGroups: []string{""}, Kinds: []string{"Pod", "ReplicationController"}},
		{APIGroups: []string{"apps"}, Kinds: []string{"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"}},
		{APIGroups: []string{"batch"}, Kinds: []string{"Job", "CronJob"}},
	}
	labelledKinds = append(slices.Clone(podKinds), kinds{APIGroups: []string{""}, Kinds: []string{"Service", "ServiceAccount"}})
)

// RequiredLabels are the labels K8sRequiredLabels asks for.
var RequiredLabels = []string{"app.kubernetes.io/name", "idpgen.dev/team"}

// Constraints are env's constraints: every template's, with the action of
// the environment's tier.
func Constraints(p *model.Platform, env *model.Environment, templates []*Template) []*Constraint {
	excl := Exclusions(p, env)
	excluded := make([]string, len(excl))
	for i, e := range excl {
		excluded[i] = e.Namespace
	}
	var out []*Constraint
	add := func(t *Template, match model.PolicyMatch, params map[string]any) {
		match.ExcludedNamespaces = append(slices.Clone(excluded), match.ExcludedNamespaces...)
		slices.Sort(match.ExcludedNamespaces)
		match.ExcludedNamespaces = slices.Compact(match.ExcludedNamespaces)
		if match.Scope == "" {
			match.Scope = "Namespaced"
		}
		out = append(out, &Constraint{Template: t, Env: env, Action: p.Policy.EnforcementFor(env), Match: match, Parameters: params, Exclusions: excl})
	}
	for _, t := range templates {
		switch t.Kind {
		case KindRequiredLabels:
			add(t, model.PolicyMatch{Kinds: labelledKinds}, map[string]any{"labels": toAny(RequiredLabels)})
		case KindAllowedRepos:
			add(t, model.PolicyMatch{Kinds: podKinds}, map[string]any{"repos": toAny(AllowedRepos(p, env))})
		case KindImagePinning:
			add(t, model.PolicyMatch{Kinds: podKinds}, map[string]any{
				"disallowedTags": []any{"latest"},
				"requireDigest":  env.Prod() && p.Policy.RequireDigestInProd,
			})
		case KindContainerResources:
			add(t, model.PolicyMatch{Kinds: podKinds}, map[string]any{
				"requests": []any{"cpu", "memory"},
				"limits":   toAny(p.Policy.RequiredLimits),
			})
		case KindPodSecurity:
			add(t, model.PolicyMatch{Kinds: podKinds}, map[string]any{"level": p.Policy.PodSecurity, "readOnlyRootFilesystem": true})
		case KindRequiredProbes:
			m := model.PolicyMatch{Kinds: podKinds[1:]}
			m.LabelSelector = &struct {
				MatchLabels map[string]string `json:"matchLabels"`
			}{MatchLabels: map[string]string{"app.kubernetes.io/component": model.KindWeb}}
			add(t, m, map[string]any{"probes": []any{"livenessProbe", "readinessProbe"}})
		case KindExposedServices:
			add(t, model.PolicyMatch{Kinds: []kinds{{APIGroups: []string{""}, Kinds: []string{"Service"}}}},
				map[string]any{"disallowedTypes": []any{"NodePort", "LoadBalancer"}})
		case KindNoAutomountToken:
			add(t, model.PolicyMatch{Kinds: append(slices.Clone(podKinds), kinds{APIGroups: []string{""}, Kinds: []string{"ServiceAccount"}})}, map[string]any{})
		case KindProdAvailability:
			if !env.Prod() {
				continue
			}
			add(t, model.PolicyMatch{Kinds: []kinds{{APIGroups: []string{"apps"}, Kinds: []string{"Deployment", "StatefulSet"}}}},
				map[string]any{"minReplicas": model.MinPodsInProd, "exempt": toAny(singleReplicaServices(p, env))})
		default:
			if t.Custom == nil {
				panic("policy: no constraint for built-in template " + t.Kind)
			}
			add(t, t.Custom.Match, t.Custom.Parameters)
		}
	}
	return out
}

// AllowedRepos are the image prefixes of env: policy.allowedRegistries and
// the platform's ECR (the central registry, or the environment's own).
func AllowedRepos(p *model.Platform, env *model.Environment) []string {
	repos := slices.Clone(p.Policy.AllowedRegistries)
	if r, ok := awsnames.CentralRegistry(p); ok {
		repos = append(repos, r.Host()+"/")
	} else {
		repos = append(repos, awsnames.For(p, env).Registry().Host()+"/")
	}
	slices.Sort(repos)
	return slices.Compact(repos)
}

// singleReplicaServices are the namespace/name of the services that accept
// a single pod in prod (singleReplicaInProd): validate already told them
// what that costs.
func singleReplicaServices(p *model.Platform, env *model.Environment) []string {
	var out []string
	for _, s := range p.ServiceList {
		if s.SingleReplicaInProd && s.Enabled(env.Name) {
			out = append(out, s.Namespace+"/"+s.Name)
		}
	}
	return out
}

func toAny[T any](s []T) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// Object is the Constraint Gatekeeper enforces.
func (c *Constraint) Object() map[string]any {
	reasons := make([]string, len(c.Exclusions))
	for i, e := range c.Exclusions {
		reasons[i] = e.Namespace + ": " + e.Reason
	}
	match := map[string]any{"kinds": c.Match.Kinds, "scope": c.Match.Scope}
	if len(c.Match.Namespaces) > 0 {
		match["namespaces"] = c.Match.Namespaces
	}
	if len(c.Match.ExcludedNamespaces) > 0 {
		match["excludedNamespaces"] = c.Match.ExcludedNamespaces
	}
	if c.Match.LabelSelector != nil {
		match["labelSelector"] = map[string]any{"matchLabels": c.Match.LabelSelector.MatchLabels}
	}
	spec := map[string]any{"enforcementAction": c.Action, "match": match}
	if len(c.Parameters) > 0 {
		spec["parameters"] = c.Parameters
	}
	return map[string]any{
		"apiVersion": "constraints.gatekeeper.sh/v1beta1",
		"kind":       c.Template.Kind,
		"metadata": map[string]any{
			"name": c.Name(),
			"annotations": map[string]any{
				annotationWave:        fmt.Sprint(WaveConstraints),
				annotationSyncOptions: "SkipDryRunOnMissingResource=true",
				AnnotationExclusions:  strings.Join(reasons, "; "),
			},
		},
		"spec": spec,
	}
}

// Src is where the constraint comes from in the CUE: the custom policy's
// declaration, or policy.
func (c *Constraint) Src(p *model.Platform) cue.Value {
	if c.Template.Custom != nil {
		return c.Template.Custom.Src
	}
	return p.Src.LookupPath(cue.ParsePath("policy"))
}
