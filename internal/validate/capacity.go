package validate

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/errors"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/idpgen/idpgen/internal/diag"
	"github.com/idpgen/idpgen/internal/model"
)

// capacity checks a service's PodDisruptionBudget, VerticalPodAutoscaler
// and HPA metrics (schemas/capacity.cue): budgets that can never allow an
// eviction or protect nothing, a VPA where the add-on is missing or one
// that fights the HPA, and metric targets Kubernetes would refuse.
func capacity(p *model.Platform, svc *model.Service, add func(errors.Error)) {
	at := func(sel cue.Path, format string, args ...any) { add(diag.AtPath(svc.Src, sel, format, args...)) }

	// Each declaration once, on its own.
	validDisruption := map[*model.Disruption]bool{}
	declaredDisruption := func(d *model.Disruption, sel cue.Path) {
		if d == nil {
			return
		}
		n := 0
		for _, set := range []bool{d.MinAvailable != nil, d.MaxUnavailable != nil, d.None} {
			if set {
				n++
			}
		}
		switch {
		case n != 1:
			at(sel, "set exactly one of minAvailable, maxUnavailable or none: true")
		case d.MaxUnavailable != nil && *d.MaxUnavailable == 0:
			at(diag.Sel(sel, "maxUnavailable"), "maxUnavailable: 0 never allows an eviction, so node drains and Karpenter consolidation would block forever; allow at least 1")
		case d.MinAvailable != nil && *d.MinAvailable == 0:
			at(diag.Sel(sel, "minAvailable"), "minAvailable: 0 protects nothing; write none: true to say the service needs no PodDisruptionBudget")
		default:
			validDisruption[d] = true
		}
	}
	declaredDisruption(svc.Disruption, diag.Sel("disruption"))
	vpaBounds(svc.VerticalScaling, diag.Sel("verticalScaling"), at)
	for _, name := range slices.Sorted(maps.Keys(svc.Overrides)) {
		o := svc.Overrides[name]
		declaredDisruption(o.Disruption, diag.Sel("overrides", name, "disruption"))
		if o.VerticalScaling != nil {
			vpaBounds(&model.VerticalScaling{Min: o.VerticalScaling.Min, Max: o.VerticalScaling.Max}, diag.Sel("overrides", name, "verticalScaling"), at)
		}
	}
	if svc.Autoscaling != nil {
		for i, m := range svc.Autoscaling.Metrics {
			metric(m, diag.Sel("autoscaling", "metrics", i), at)
		}
	}

	// Then what each environment makes of them. A VPA declared where the
	// add-on is missing is reported once per declaration, with every
	// environment concerned.
	noVPA := map[string][]string{}
	var noVPAOrder []cue.Path
	defer func() {
		for _, sel := range noVPAOrder {
			at(sel, "verticalScaling applies in %s, and the vpa add-on is not enabled there; enable addons.vpa, or declare verticalScaling only in the overrides of environments that have it", strings.Join(noVPA[sel.String()], ", "))
		}
	}()
	for _, env := range p.EnvironmentList {
		if !svc.Enabled(env.Name) {
			continue
		}
		w := svc.In(env)
		o, overridden := svc.Overrides[env.Name]
		// The selector of what this environment uses: the override's when
		// it sets one, else the service's.
		from := func(override bool, field string) cue.Path {
			if overridden && override {
				return diag.Sel("overrides", env.Name, field)
			}
			return diag.Sel(field)
		}

		if d := w.Disruption; d != nil && validDisruption[d] && !d.None {
			sel := from(o.Disruption != nil, "disruption")
			pods := w.Replicas
			runs := fmt.Sprintf("runs %d pod(s)", pods)
			if w.Autoscaling != nil {
				runs = fmt.Sprintf("runs as few as %d pod(s) (autoscaling.minReplicas)", pods)
			}
			switch {
			case d.MinAvailable != nil && *d.MinAvailable >= pods:
				at(diag.Sel(sel, "minAvailable"), "in %s the service %s, so minAvailable: %d never allows an eviction and node drains would block forever; lower it below %d, use maxUnavailable, or override disruption for %s", env.Name, runs, *d.MinAvailable, pods, env.Name)
			case d.MaxUnavailable != nil && pods >= 2 && *d.MaxUnavailable >= pods:
				at(diag.Sel(sel, "maxUnavailable"), "in %s the service %s, so maxUnavailable: %d lets a drain evict all of them and protects nothing; lower it below %d, or write none: true", env.Name, runs, *d.MaxUnavailable, pods)
			}
		}

		addon := p.Addons.VPA.In(env.Name)
		sel := from(o.VerticalScaling != nil, "verticalScaling")
		if w.VerticalScaling != nil && !addon {
			key := sel.String()
			if _, seen := noVPA[key]; !seen {
				noVPAOrder = append(noVPAOrder, sel)
			}
			noVPA[key] = append(noVPA[key], env.Name)
			continue
		}
		v := w.VPA(addon)
		if v == nil || v.Mode == model.VPAOff || w.Autoscaling == nil {
			continue
		}
		var clash []string
		for _, r := range v.Resources {
			if r == "cpu" && w.Autoscaling.CPUTarget() != nil {
				clash = append(clash, "cpu (autoscaling.targetCPUUtilization)")
			}
			if r == "memory" && w.Autoscaling.TargetMemoryUtilization != nil {
				clash = append(clash, "memory (autoscaling.targetMemoryUtilization)")
			}
		}
		if len(clash) > 0 {
			// At the mode: updating is what the service asked for (the
			// resources may be the schema's default).
			if overridden && o.VerticalScaling != nil && o.VerticalScaling.Mode == nil {
				sel = diag.Sel("verticalScaling")
			}
			at(diag.Sel(sel, "mode"), "in %s the VPA (mode %q) updates %s, which the HPA scales on: the two would fight; let the VPA control only the other resource (resources: [\"memory\"] or [\"cpu\"]), scale the HPA on another metric (autoscaling.metrics), or set mode: \"Off\"", env.Name, v.Mode, strings.Join(clash, " and "))
		}
	}
}

// vpaBounds checks that a VPA's minimum is not above its maximum.
func vpaBounds(v *model.VerticalScaling, sel cue.Path, at func(cue.Path, string, ...any)) {
	if v == nil || v.Min == nil || v.Max == nil {
		return
	}
	if a, b := v.Min.CPUMillis, v.Max.CPUMillis; a != nil && b != nil && *a > *b {
		at(diag.Sel(sel, "min", "cpuMillis"), "min.cpuMillis (%d) is above max.cpuMillis (%d)", *a, *b)
	}
	if a, b := v.Min.MemoryMiB, v.Max.MemoryMiB; a != nil && b != nil && *a > *b {
		at(diag.Sel(sel, "min", "memoryMiB"), "min.memoryMiB (%d) is above max.memoryMiB (%d)", *a, *b)
	}
}

// metric checks the target of a custom or external HPA metric.
func metric(m model.HPAMetric, sel cue.Path, at func(cue.Path, string, ...any)) {
	switch {
	case m.Type == model.MetricPods && (m.AverageValue == "" || m.Value != ""):
		at(sel, "a Pods metric is averaged over the pods: set averageValue (and not value)")
		return
	case m.Type == model.MetricExternal && (m.AverageValue == "") == (m.Value == ""):
		at(sel, "set exactly one of averageValue (per pod) or value (the whole metric)")
		return
	}
	for field, q := range map[string]string{"averageValue": m.AverageValue, "value": m.Value} {
		if q == "" {
			continue
		}
		if v, err := resource.ParseQuantity(q); err != nil {
			at(diag.Sel(sel, field), "%q is not a Kubernetes quantity: %v", q, err)
		} else if v.Sign() <= 0 {
			at(diag.Sel(sel, field), "the target must be above zero")
		}
	}
}
