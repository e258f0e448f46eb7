package validate

import (
	"fmt"
	"slices"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/token"

	"github.com/idpgen/idpgen/internal/diag"
	"github.com/idpgen/idpgen/internal/model"
)

// ingress checks what public services need from their port and their
// environments, the environments' certificates, and that no two services
// claim the same host and path where both run. It is linear in the number
// of services per environment.
func ingress(p *model.Platform, add func(errors.Error)) {
	for _, env := range p.EnvironmentList {
		for i, arn := range env.Ingress.Certificates {
			if region, account, ok := acmRegionAccount(arn); ok && (region != env.Region || account != env.Account) {
				add(diag.At(env.Src, fmt.Sprintf("ingress.certificates[%d]", i),
					"certificate %s is in account %s, region %s; a load balancer of environment %q can only use an ACM certificate of its own account (%s) and region (%s)",
					arn, account, region, env.Name, env.Account, env.Region))
			}
		}
	}

	// Public services in source order, so that a duplicate is reported
	// at the one written second.
	var public []*model.Service
	pos := map[*model.Service]token.Pos{}
	for _, svc := range p.ServiceList {
		if svc.Invalid || svc.Public == nil {
			continue
		}
		public = append(public, svc)
		pos[svc] = diag.SourcePos(svc.Src.LookupPath(cue.ParsePath("public")))
	}
	slices.SortStableFunc(public, func(a, b *model.Service) int { return pos[a].Compare(pos[b]) })

	for _, svc := range public {
		at := func(sel, format string, args ...any) errors.Error { return diag.At(svc.Src, sel, format, args...) }
		if port, ok := svc.Port(svc.Public.Port); ok && !port.SpeaksHTTP() {
			what := "is not named http or http-<suffix>"
			if port.AppProtocol != "" {
				what = fmt.Sprintf("speaks %s", port.AppProtocol)
			}
			add(at("public.port", "port %q %s, but the ingress gateway routes HTTP to a public service; expose a port that speaks HTTP, or set appProtocol: \"http\" on it", port.Name, what))
		}
		var noCert, noAddons []string
		var certPos []token.Pos
		for _, env := range p.EnvironmentList {
			if !svc.Enabled(env.Name) {
				continue
			}
			if len(env.Ingress.Certificates) == 0 {
				noCert = append(noCert, env.Name)
				certPos = append(certPos, diag.SourcePos(env.Src))
			}
			if !p.Addons.Istio.In(env.Name) || !p.Addons.AWSLoadBalancerController.In(env.Name) {
				noAddons = append(noAddons, env.Name)
			}
		}
		if len(noCert) > 0 {
			envs := "environment " + noCert[0] + " has"
			if len(noCert) > 1 {
				envs = "environments " + strings.Join(noCert, ", ") + " have"
			}
			add(diag.Also(at("public", "%q is public but %s no ingress.certificates: the load balancer needs an ACM certificate to terminate TLS for %s",
				svc.Name, envs, svc.Public.Host), certPos...))
		}
		if len(noAddons) > 0 {
			add(at("public", "%q is public, so the istio and awsLoadBalancerController add-ons must run in %s (the gateway and its load balancer)", svc.Name, strings.Join(noAddons, ", ")))
		}
	}

	// Duplicate host and path: per environment, one map; a pair is
	// reported once, with every environment where both run.
	type pair struct{ first, second *model.Service }
	clash := map[pair][]string{}
	var order []pair
	for _, env := range p.EnvironmentList {
		claimed := map[string]*model.Service{}
		for _, svc := range public {
			if !svc.Enabled(env.Name) {
				continue
			}
			key := svc.Public.Host + routePath(svc.Public.Path)
			first, dup := claimed[key]
			if !dup {
				claimed[key] = svc
				continue
			}
			k := pair{first, svc}
			if clash[k] == nil {
				order = append(order, k)
			}
			clash[k] = append(clash[k], env.Name)
		}
	}
	for _, k := range order {
		add(diag.Also(diag.At(k.second.Src, "public.host", "host %s path %s is already routed to service %q in %s; two services cannot claim the same host and path",
			k.second.Public.Host, k.second.Public.Path, k.first.Name, strings.Join(clash[k], ", ")),
			pos[k.first]))
	}
}

// routePath is the path as Gateway API's PathPrefix matches it: a trailing
// slash does not matter ("/api" and "/api/" match the same requests).
func routePath(p string) string {
	if p != "/" {
		p = strings.TrimSuffix(p, "/")
	}
	return p
}

// acmRegionAccount splits arn:<partition>:acm:<region>:<account>:certificate/<id>.
func acmRegionAccount(arn string) (region, account string, ok bool) {
	f := strings.SplitN(arn, ":", 6)
	if len(f) != 6 || f[2] != "acm" {
		return "", "", false
	}
	return f[3], f[4], true
}
