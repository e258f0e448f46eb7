package model

// Capacity intent of a service (schemas/capacity.cue): priority, PDB,
// VerticalPodAutoscaler and the HPA's metrics and behaviour, resolved per
// environment here so that the emitter and the checks agree.

// Capacity values of #Service.capacity.
const (
	CapacitySpotOK   = "spot-ok"
	CapacityOnDemand = "on-demand"
)

// Priorities of #Priority, from the highest.
const (
	PriorityCritical = "critical"
	PriorityStandard = "standard"
	PriorityBatch    = "batch"
)

// Disruption is a PodDisruptionBudget as declared: exactly one field is set
// (validate checks it).
type Disruption struct {
	MinAvailable   *int `json:"minAvailable,omitempty"`
	MaxUnavailable *int `json:"maxUnavailable,omitempty"`
	None           bool `json:"none,omitempty"`
}

// PDB is the budget the service gets in its environment, or nil for none:
// what it declares, else the tier's default (maxUnavailable 1 in prod for a
// service of at least two pods; none in nonprod, whose nodes consolidate
// freely, and none for a single pod).
func (w Workload) PDB() *Disruption {
	if d := w.Disruption; d != nil {
		if d.None {
			return nil
		}
		return d
	}
	if w.Environment.Prod() && w.Replicas >= 2 {
		one := 1
		return &Disruption{MaxUnavailable: &one}
	}
	return nil
}

// VPA update modes of #VerticalScaling.mode.
const (
	VPAOff               = "Off"
	VPAInitial           = "Initial"
	VPAInPlaceOrRecreate = "InPlaceOrRecreate"
)

// VerticalScaling is a VerticalPodAutoscaler as declared.
type VerticalScaling struct {
	Mode             string         `json:"mode"`
	Resources        []string       `json:"resources"`
	ControlledValues string         `json:"controlledValues"`
	Min              *ResourceBound `json:"min,omitempty"`
	Max              *ResourceBound `json:"max,omitempty"`
}

// VerticalScalingOverride changes some fields of VerticalScaling.
type VerticalScalingOverride struct {
	Mode             *string        `json:"mode,omitempty"`
	Resources        []string       `json:"resources,omitempty"`
	ControlledValues *string        `json:"controlledValues,omitempty"`
	Min              *ResourceBound `json:"min,omitempty"`
	Max              *ResourceBound `json:"max,omitempty"`
}

// ResourceBound is a CPU and/or memory amount.
type ResourceBound struct {
	CPUMillis *int64 `json:"cpuMillis,omitempty"`
	MemoryMiB *int64 `json:"memoryMiB,omitempty"`
}

// DefaultVerticalScaling is #VerticalScaling with nothing set:
// recommendations only, for CPU and memory.
func DefaultVerticalScaling() VerticalScaling {
	return VerticalScaling{Mode: VPAOff, Resources: []string{"cpu", "memory"}, ControlledValues: "RequestsAndLimits"}
}

// over applies the override's fields to base (or to the defaults when the
// service declares nothing).
func (o *VerticalScalingOverride) over(base *VerticalScaling) *VerticalScaling {
	v := DefaultVerticalScaling()
	if base != nil {
		v = *base
	}
	set(&v.Mode, o.Mode)
	set(&v.ControlledValues, o.ControlledValues)
	if o.Resources != nil {
		v.Resources = o.Resources
	}
	if o.Min != nil {
		v.Min = o.Min
	}
	if o.Max != nil {
		v.Max = o.Max
	}
	return &v
}

// VPA is the VerticalPodAutoscaler of the service in its environment, or
// nil for none: what it declares, else recommendations only where the VPA
// add-on is installed (addon).
func (w Workload) VPA(addon bool) *VerticalScaling {
	if w.VerticalScaling != nil {
		return w.VerticalScaling
	}
	if addon {
		v := DefaultVerticalScaling()
		return &v
	}
	return nil
}

// HPAMetric is a custom (Pods) or external metric of an HPA.
type HPAMetric struct {
	Type         string            `json:"type"`
	Name         string            `json:"name"`
	Selector     map[string]string `json:"selector"`
	AverageValue string            `json:"averageValue,omitempty"`
	Value        string            `json:"value,omitempty"`
}

// HPA metric types of #HPAMetric.type.
const (
	MetricPods     = "Pods"
	MetricExternal = "External"
)

// DefaultTargetCPU is the CPU utilisation target of an HPA that declares no
// metric at all.
const DefaultTargetCPU = 70

// CPUTarget is the CPU utilisation target, or nil when the HPA does not
// scale on CPU: the declared one, else DefaultTargetCPU unless another
// metric is declared.
func (a *Autoscaling) CPUTarget() *int32 {
	if a.TargetCPUUtilization != nil || a.TargetMemoryUtilization != nil || len(a.Metrics) > 0 {
		return a.TargetCPUUtilization
	}
	cpu := int32(DefaultTargetCPU)
	return &cpu
}

// ScalingBehavior is the HPA's scale-up and scale-down behaviour.
type ScalingBehavior struct {
	ScaleUp   *ScalingRules `json:"scaleUp,omitempty"`
	ScaleDown *ScalingRules `json:"scaleDown,omitempty"`
}

// ScalingRules is one direction of ScalingBehavior.
type ScalingRules struct {
	StabilizationWindowSeconds *int32          `json:"stabilizationWindowSeconds,omitempty"`
	SelectPolicy               *string         `json:"selectPolicy,omitempty"`
	Policies                   []ScalingPolicy `json:"policies,omitempty"`
}

// ScalingPolicy is one HPA scaling policy.
type ScalingPolicy struct {
	Type          string `json:"type"`
	Value         int32  `json:"value"`
	PeriodSeconds int32  `json:"periodSeconds"`
}

// over applies b's fields to base, field by field.
func (b *ScalingBehavior) over(base *ScalingBehavior) *ScalingBehavior {
	out := &ScalingBehavior{}
	if base != nil {
		*out = *base
	}
	out.ScaleUp = b.ScaleUp.over(out.ScaleUp)
	out.ScaleDown = b.ScaleDown.over(out.ScaleDown)
	return out
}

func (r *ScalingRules) over(base *ScalingRules) *ScalingRules {
	if r == nil {
		return base
	}
	out := &ScalingRules{}
	if base != nil {
		*out = *base
	}
	if r.StabilizationWindowSeconds != nil {
		out.StabilizationWindowSeconds = r.StabilizationWindowSeconds
	}
	if r.SelectPolicy != nil {
		out.SelectPolicy = r.SelectPolicy
	}
	if r.Policies != nil {
		out.Policies = r.Policies
	}
	return out
}

// TierBehavior is the scaling behaviour of an HPA that declares none, by
// tier (documented in #ScalingBehavior): both scale up at once (the larger
// of 100% or 4 pods per 15 s, Kubernetes' own default); prod scales down
// slowly (5 minutes' stabilisation, 10% of the pods per minute) so that a
// dip does not drop capacity a returning peak needs, nonprod quickly (1
// minute, everything per 15 s) to save cost.
func TierBehavior(tier string) ScalingBehavior {
	rules := func(window int32, policies ...ScalingPolicy) *ScalingRules {
		max := "Max"
		return &ScalingRules{StabilizationWindowSeconds: &window, SelectPolicy: &max, Policies: policies}
	}
	up := rules(0, ScalingPolicy{Type: "Percent", Value: 100, PeriodSeconds: 15}, ScalingPolicy{Type: "Pods", Value: 4, PeriodSeconds: 15})
	if tier == TierProd {
		return ScalingBehavior{ScaleUp: up, ScaleDown: rules(300, ScalingPolicy{Type: "Percent", Value: 10, PeriodSeconds: 60})}
	}
	return ScalingBehavior{ScaleUp: up, ScaleDown: rules(60, ScalingPolicy{Type: "Percent", Value: 100, PeriodSeconds: 15})}
}

// HPABehavior is the full behaviour of the workload's HPA: what it declares
// over its tier's default.
func (w Workload) HPABehavior() ScalingBehavior {
	def := TierBehavior(w.Environment.Tier)
	if w.Autoscaling == nil || w.Autoscaling.Behavior == nil {
		return def
	}
	return *w.Autoscaling.Behavior.over(&def)
}
