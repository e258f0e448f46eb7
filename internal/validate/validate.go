// Package validate runs the checks CUE cannot express on one value alone:
// references between services, teams and environments, uniqueness across
// the platform, and network overlaps. Every problem is reported, located on
// the CUE value it is about.
package validate

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/errors"

	"github.com/idpgen/idpgen/internal/diag"
	"github.com/idpgen/idpgen/internal/emit/kustomize"
	"github.com/idpgen/idpgen/internal/model"
	"github.com/idpgen/idpgen/internal/suggest"
)

// Platform returns every problem found, or nil.
func Platform(p *model.Platform) error {
	var errs errors.Error
	add := func(err errors.Error) { errs = errors.Append(errs, err) }
	environments(p, add)
	awsFoundation(p, add) // network.go
	teams(p, add)
	labelValues(p, add) // workload.go
	addons(p, add)
	karpenter(p, add)  // karpenter.go
	serviceAWS(p, add) // serviceaws.go
	ingress(p, add)    // ingress.go
	delivery(p, add)   // delivery.go
	services := &lazySuggester{names: slices.Collect(maps.Keys(p.Services))}
	intervals := map[string]cronGap{} // backup.go
	for _, svc := range p.ServiceList {
		if !svc.Invalid {
			service(p, svc, services, add)
			workload(p, svc, add)           // workload.go
			capacity(p, svc, add)           // capacity.go
			trafficChecks(p, svc, add)      // traffic.go
			envSecrets(svc, add)            // secrets.go
			backups(p, svc, intervals, add) // backup.go
			slos(p, svc, add)               // slo.go
		}
	}
	images(p, add)                    // registry.go
	rightSizing(p, add)               // rightsizing.go
	vaultPaths(p, add)                // secrets.go
	vaultSnapshots(p, intervals, add) // backup.go
	sloAppKey(p, add)                 // slo.go
	if errs == nil {
		return nil
	}
	return errs
}

func environments(p *model.Platform, add func(errors.Error)) {
	if len(p.Environments) == 0 {
		add(diag.At(p.Src, "environments", "a platform needs at least one environment"))
	}
	byPromotion := map[int]*model.Environment{}
	for _, env := range p.EnvironmentList {
		if prev, dup := byPromotion[env.Promotion]; dup {
			add(diag.Also(diag.At(env.Src, "promotion", "promotion position %d is already taken by environment %q; each environment needs its own position", env.Promotion, prev.Name),
				diag.SourcePos(prev.Src.LookupPath(cuePath("promotion")))))
		}
		byPromotion[env.Promotion] = env
	}
	// Networks: each VPC must not overlap another environment's, so that
	// peering, transit gateways and VPN routes stay possible.
	prefixes := map[string]netip.Prefix{}
	for _, env := range p.EnvironmentList {
		pfx, err := netip.ParsePrefix(env.Network.VPCCIDR)
		if err != nil {
			add(diag.At(env.Src, "network.vpcCIDR", "invalid CIDR: %v", err))
			continue
		}
		if pfx.Masked() != pfx {
			add(diag.At(env.Src, "network.vpcCIDR", "%s has host bits set; did you mean %s?", pfx, pfx.Masked()))
		}
		if pfx.Bits() > 20 || pfx.Bits() < 16 {
			add(diag.At(env.Src, "network.vpcCIDR", "a VPC CIDR must be between /16 and /20 to hold %d availability zones of subnets, got /%d", env.Network.AvailabilityZones, pfx.Bits()))
		}
		for _, other := range p.EnvironmentList {
			o, ok := prefixes[other.Name]
			// Only VPCs on the shared network must stay apart
			// (network.shared); an isolated VPC may reuse a range.
			if ok && o.Overlaps(pfx) && env.Network.Shared && other.Network.Shared {
				add(diag.Also(diag.At(env.Src, "network.vpcCIDR", "VPC CIDR %s overlaps %s of environment %q", pfx, o, other.Name),
					diag.SourcePos(other.Src.LookupPath(cuePath("network.vpcCIDR")))))
			}
		}
		prefixes[env.Name] = pfx
		publicAccessCIDRs(env, add)
		controlPlaneLogs(env, add)
		if env.Kubernetes.PublicEndpoint && len(env.Kubernetes.PublicAccessCIDRs) == 0 {
			add(diag.At(env.Src, "kubernetes.publicEndpoint", "publicEndpoint is true but no publicAccessCIDRs are listed; list the networks that may reach the API"))
		}
	}
	// One account per tier unless explicitly allowed: a nonprod mistake
	// must not be able to touch prod resources.
	if !p.AWS.AllowAccountReuseAcrossTiers {
		byAccount := map[string]*model.Environment{}
		for _, env := range p.EnvironmentList {
			if prev, ok := byAccount[env.Account]; ok && prev.Tier != env.Tier {
				add(diag.Also(diag.At(env.Src, "account", "account %s is also used by %s environment %q; prod and nonprod must not share an account (set aws.allowAccountReuseAcrossTiers to allow it)", env.Account, prev.Tier, prev.Name),
					diag.SourcePos(prev.Src.LookupPath(cuePath("account")))))
			}
			byAccount[env.Account] = env
		}
	}
}

func teams(p *model.Platform, add func(errors.Error)) {
	owner := map[string]*model.Team{}
	for _, t := range p.TeamList {
		for i, ns := range t.Namespaces {
			if prev, ok := owner[ns]; ok {
				add(diag.At(t.Src, fmt.Sprintf("namespaces[%d]", i), "namespace %q is already owned by team %q; a namespace has one owner", ns, prev.Name))
				continue
			}
			if reservedNamespace(ns) {
				add(diag.At(t.Src, fmt.Sprintf("namespaces[%d]", i), "namespace %q is reserved for the platform", ns))
			}
			owner[ns] = t
		}
	}
}

func reservedNamespace(ns string) bool {
	return strings.HasPrefix(ns, "kube-") || ns == "default" || slices.Contains(platformNamespaces, ns)
}

// platformNamespaces are where the add-ons run.
var platformNamespaces = []string{"argocd", "vault", "karpenter", "gatekeeper-system", "istio-system", "istio-ingress", "datadog", "velero", "trivy-system", "external-secrets", "vpa"}

func service(p *model.Platform, svc *model.Service, services *lazySuggester, add func(errors.Error)) {
	at := func(sel, format string, args ...any) { add(diag.At(svc.Src, sel, format, args...)) }
	// atPath is for paths with labels from the user's data (environment
	// and variable names), which must not be parsed as CUE syntax.
	atPath := func(path cue.Path, format string, args ...any) { add(diag.AtPath(svc.Src, path, format, args...)) }

	team, ok := p.Teams[svc.Team]
	switch {
	case !ok:
		if s := suggest.Closest(svc.Team, slices.Collect(maps.Keys(p.Teams))); s != "" {
			at("team", "unknown team %q; did you mean %q?", svc.Team, s)
		} else {
			at("team", "unknown team %q; expected one of: %s", svc.Team, keys(p.Teams))
		}
	case !slices.Contains(team.Namespaces, svc.Namespace):
		at("namespace", "namespace %q does not belong to team %q; expected one of: %s", svc.Namespace, team.Name, strings.Join(team.Namespaces, ", "))
	}

	if svc.Image.Tag == "" && svc.Image.Digest == "" {
		at("image", "image %s is not pinned: set image.tag or image.digest", svc.Image.Repository)
	}

	ports := map[string]bool{}
	numbers := map[int32]string{}
	for i, port := range svc.Ports {
		if ports[port.Name] {
			at(fmt.Sprintf("ports[%d].name", i), "port name %q is used twice", port.Name)
		}
		if prev, dup := numbers[port.Port]; dup {
			at(fmt.Sprintf("ports[%d].port", i), "port %d is already used by port %q", port.Port, prev)
		}
		ports[port.Name] = true
		numbers[port.Port] = port.Name
	}
	if svc.Kind == model.KindWeb && len(svc.Ports) == 0 {
		at("ports", "a web service needs at least one port; use kind: \"worker\" for a service that serves no traffic")
	}
	for name, pr := range map[string]*model.Probe{"liveness": svc.Probes.Liveness, "readiness": svc.Probes.Readiness, "startup": svc.Probes.Startup} {
		switch {
		case pr == nil:
		case pr.HTTP == nil && len(pr.Exec) == 0:
			at("probes."+name, "a probe needs http or exec")
		case pr.HTTP != nil && len(pr.Exec) > 0:
			at("probes."+name, "a probe has either http or exec, not both")
		case pr.HTTP != nil && !ports[pr.HTTP.Port]:
			at("probes."+name+".http.port", "unknown port %q; expected one of the service's ports: %s", pr.HTTP.Port, keys(ports))
		}
	}
	if svc.Kind != model.KindWeb && svc.Probes.Liveness == nil {
		at("probes.liveness", "a %s service needs a liveness probe (there is no HTTP port to default to)", svc.Kind)
	}
	if svc.Public != nil {
		if svc.Kind != model.KindWeb {
			at("public", "only web services can be public, %q is %s", svc.Name, svc.Kind)
		}
		if !ports[svc.Public.Port] {
			at("public.port", "unknown port %q; expected one of the service's ports: %s", svc.Public.Port, keys(ports))
		}
	}
	if svc.Storage != nil && !slices.Contains(kustomize.StorageClasses, svc.Storage.StorageClass) {
		at("storage.storageClass", "unknown storage class %q; expected one of: %s", svc.Storage.StorageClass, strings.Join(kustomize.StorageClasses, ", "))
	}
	if svc.Storage != nil && svc.Kind != model.KindStateful {
		at("storage", "only stateful services have storage; set kind: \"stateful\"")
	}
	for name := range svc.Env {
		if _, dup := svc.Secrets[name]; dup {
			atPath(diag.Sel("env", name), "%s is set both in env and in secrets", name)
		}
	}

	seen := map[string]bool{}
	for i, dep := range svc.DependsOn {
		sel := fmt.Sprintf("dependsOn[%d]", i)
		switch {
		case dep == svc.Name:
			at(sel, "a service cannot depend on itself")
		case seen[dep]:
			at(sel, "%q is listed twice", dep)
		case p.Services[dep] == nil:
			at(sel, "unknown service %q%s", dep, hint(services.suggest(dep)))
		default:
			for _, env := range p.EnvironmentList {
				if svc.Enabled(env.Name) && !p.Services[dep].Enabled(env.Name) {
					at(sel, "%q is disabled in %s, where %q runs and depends on it", dep, env.Name, svc.Name)
				}
			}
		}
		seen[dep] = true
	}

	autoscaling(svc.Autoscaling, svc, diag.Sel("autoscaling"), atPath)
	for _, envName := range slices.Sorted(maps.Keys(svc.Overrides)) {
		o := svc.Overrides[envName]
		env, ok := p.Environments[envName]
		if !ok {
			atPath(diag.Sel("overrides", envName), "unknown environment %q; expected one of: %s", envName, keys(p.Environments))
			continue
		}
		w := svc.In(env)
		sel := diag.Sel("overrides", envName)
		if o.Autoscaling != nil {
			if svc.Autoscaling == nil && o.Autoscaling.MaxReplicas == nil {
				atPath(diag.Sel(sel, "autoscaling", "maxReplicas"), "autoscaling is turned on in %s only, so maxReplicas must be set here", envName)
			} else {
				autoscaling(w.Autoscaling, svc, diag.Sel(sel, "autoscaling"), atPath)
			}
		}
		if r := w.Resources; o.Resources != nil {
			if r.Limits.CPUMillis < r.Requests.CPUMillis {
				atPath(diag.Sel(sel, "resources"), "in %s, limits.cpuMillis (%d) must be at least requests.cpuMillis (%d)", envName, r.Limits.CPUMillis, r.Requests.CPUMillis)
			}
			if r.Limits.MemoryMiB < r.Requests.MemoryMiB {
				atPath(diag.Sel(sel, "resources"), "in %s, limits.memoryMiB (%d) must be at least requests.memoryMiB (%d)", envName, r.Limits.MemoryMiB, r.Requests.MemoryMiB)
			}
		}
		for name := range o.Env {
			if _, dup := svc.Secrets[name]; dup {
				atPath(diag.Sel(sel, "env", name), "%s is a secret of this service; it cannot be overridden in plain text", name)
			}
		}
		if o.Storage != nil && svc.Storage == nil {
			atPath(diag.Sel(sel, "storage"), "only stateful services have storage")
		}
		if env.Prod() && p.Policy.RequireDigestInProd && w.Image.Digest == "" {
			at("image", "policy.requireDigestInProd: the image must be pinned by digest in %s", envName)
		}
		if w.Image.Tag == "" && w.Image.Digest == "" && o.Image != nil {
			atPath(diag.Sel(sel, "image"), "set tag or digest")
		}
	}
}

func autoscaling(a *model.Autoscaling, svc *model.Service, sel cue.Path, at func(cue.Path, string, ...any)) {
	if a == nil {
		return
	}
	if a.MinReplicas > a.MaxReplicas {
		at(diag.Sel(sel, "minReplicas"), "minReplicas (%d) must not exceed maxReplicas (%d)", a.MinReplicas, a.MaxReplicas)
	}
	if svc.Kind == model.KindStateful {
		at(sel, "stateful services are not autoscaled")
	}
}

func keys[V any](m map[string]V) string {
	return strings.Join(slices.Sorted(maps.Keys(m)), ", ")
}

func cuePath(s string) cue.Path { return cue.ParsePath(s) }
