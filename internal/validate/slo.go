package validate

import (
	"maps"
	"slices"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/errors"

	"github.com/idpgen/idpgen/internal/diag"
	"github.com/idpgen/idpgen/internal/model"
)

// sloDecl is where a service declares its objectives: its slo, else the
// first override (by environment name) that declares one.
func sloDecl(svc *model.Service) cue.Path {
	if svc.SLO != nil && (svc.SLO.Availability != nil || svc.SLO.LatencyP99Ms != nil) {
		return diag.Sel("slo")
	}
	for _, env := range slices.Sorted(maps.Keys(svc.Overrides)) {
		if o := svc.Overrides[env].SLO; o != nil && (o.Availability != nil || o.LatencyP99Ms != nil) {
			return diag.Sel("overrides", env, "slo")
		}
	}
	return diag.Sel("slo")
}

// slos checks a service's objectives: they need a metric source (a port
// speaking HTTP or gRPC, or an explicit operation), and the owning team
// needs notification handles for the monitors to alert.
func slos(p *model.Platform, svc *model.Service, add func(errors.Error)) {
	if !svc.DeclaresSLO() {
		return
	}
	at := sloDecl(svc)
	var base model.SLO
	if svc.SLO != nil {
		base = *svc.SLO
	}
	if svc.Operation(base) == "" {
		what := "availability"
		if slices.ContainsFunc(p.EnvironmentList, func(env *model.Environment) bool {
			s, _ := svc.SLOIn(env)
			return s.LatencyP99Ms != nil
		}) {
			what = "latency"
		}
		add(diag.AtPath(svc.Src, at,
			"a %s objective needs a metric source, and %s has no port speaking HTTP or gRPC whose request spans (trace.%s / trace.%s) measure it: declare such a port, or set slo.operation to the span name its tracer reports",
			what, svc.Name, model.OperationHTTP, model.OperationGRPC))
	}
	if t := p.Teams[svc.Team]; t != nil && t.Notify == nil {
		add(diag.Also(diag.AtPath(svc.Src, at,
			"%s declares service level objectives, but its team %q has no notification handle for their monitors: set teams.%s.notify (e.g. prod: [\"@pagerduty-%s\"])",
			svc.Name, t.Name, diag.Label(t.Name), t.Name),
			diag.SourcePos(t.Src)))
	}
}

// sloAppKey: the Datadog Operator needs an application key wherever it
// manages a service's monitors.
func sloAppKey(p *model.Platform, add func(errors.Error)) {
	dd := p.Addons.Datadog
	if dd.AppKey != nil {
		return
	}
	for _, env := range p.EnvironmentList {
		if !dd.In(env.Name) {
			continue
		}
		for _, svc := range p.ServiceList {
			if svc.Invalid || !svc.Enabled(env.Name) {
				continue
			}
			if _, ok := svc.SLOIn(env); ok {
				add(diag.Also(diag.At(p.Src.LookupPath(cue.MakePath(cue.Str("addons"), cue.Str(model.AddonDatadog))), "enabled",
					"service %s declares service level objectives in environment %q, whose monitors the Datadog Operator manages with an application key: set addons.datadog.appKey to its Vault path and key", svc.Name, env.Name),
					diag.SourcePos(svc.Src.LookupPath(sloDecl(svc)))))
				return
			}
		}
	}
}
