package kustomize

import (
	"encoding/json"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	kusttypes "sigs.k8s.io/kustomize/api/types"

	"github.com/idpgen/idpgen/internal/model"
	"github.com/idpgen/idpgen/internal/poolnames"
)

// CapacityFile is the file of a service's overlay that holds its
// PodDisruptionBudget, HorizontalPodAutoscaler and VerticalPodAutoscaler in
// that environment: their defaults depend on the tier and on the replicas
// the service runs there, so they are per environment, in one file.
const CapacityFile = "capacity.yaml"

// capacity is the content of CapacityFile, empty when the service gets none
// of the three in w's environment.
func capacity(p *model.Platform, svc *model.Service, kind string, w model.Workload) []any {
	var out []any
	if d := w.PDB(); d != nil {
		out = append(out, disruptionBudget(p, svc, d))
	}
	if w.Autoscaling != nil {
		out = append(out, autoscaler(p, svc, kind, w))
	}
	if v := w.VPA(p.Addons.VPA.In(w.Environment.Name)); v != nil {
		out = append(out, verticalAutoscaler(p, svc, kind, v))
	}
	return out
}

func disruptionBudget(p *model.Platform, svc *model.Service, d *model.Disruption) *policyv1.PodDisruptionBudget {
	pdb := &policyv1.PodDisruptionBudget{
		TypeMeta:   typeMeta("policy/v1", "PodDisruptionBudget"),
		ObjectMeta: meta(p, svc),
		Spec: policyv1.PodDisruptionBudgetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: selector(svc)},
			// A crash-looping pod must not block node drains forever.
			UnhealthyPodEvictionPolicy: ptr.To(policyv1.AlwaysAllow),
		},
	}
	if d.MinAvailable != nil {
		pdb.Spec.MinAvailable = ptr.To(intstr.FromInt32(int32(*d.MinAvailable)))
	} else {
		pdb.Spec.MaxUnavailable = ptr.To(intstr.FromInt32(int32(*d.MaxUnavailable)))
	}
	return pdb
}

func autoscaler(p *model.Platform, svc *model.Service, kind string, w model.Workload) *autoscalingv2.HorizontalPodAutoscaler {
	a := w.Autoscaling
	b := w.HPABehavior()
	return &autoscalingv2.HorizontalPodAutoscaler{
		TypeMeta:   typeMeta("autoscaling/v2", "HorizontalPodAutoscaler"),
		ObjectMeta: meta(p, svc),
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: kind, Name: svc.Name},
			MinReplicas:    ptr.To(a.MinReplicas),
			MaxReplicas:    a.MaxReplicas,
			Metrics:        hpaMetrics(a),
			Behavior: &autoscalingv2.HorizontalPodAutoscalerBehavior{
				ScaleUp:   scalingRules(b.ScaleUp),
				ScaleDown: scalingRules(b.ScaleDown),
			},
		},
	}
}

func scalingRules(r *model.ScalingRules) *autoscalingv2.HPAScalingRules {
	out := &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: r.StabilizationWindowSeconds}
	if r.SelectPolicy != nil {
		out.SelectPolicy = ptr.To(autoscalingv2.ScalingPolicySelect(*r.SelectPolicy))
	}
	for _, pol := range r.Policies {
		out.Policies = append(out.Policies, autoscalingv2.HPAScalingPolicy{Type: autoscalingv2.HPAScalingPolicyType(pol.Type), Value: pol.Value, PeriodSeconds: pol.PeriodSeconds})
	}
	return out
}

func hpaMetrics(a *model.Autoscaling) []autoscalingv2.MetricSpec {
	res := func(r corev1.ResourceName, pct int32) autoscalingv2.MetricSpec {
		return autoscalingv2.MetricSpec{
			Type: autoscalingv2.ResourceMetricSourceType,
			Resource: &autoscalingv2.ResourceMetricSource{
				Name:   r,
				Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptr.To(pct)},
			},
		}
	}
	var out []autoscalingv2.MetricSpec
	if cpu := a.CPUTarget(); cpu != nil {
		out = append(out, res(corev1.ResourceCPU, *cpu))
	}
	if a.TargetMemoryUtilization != nil {
		out = append(out, res(corev1.ResourceMemory, *a.TargetMemoryUtilization))
	}
	for _, m := range a.Metrics {
		id := autoscalingv2.MetricIdentifier{Name: m.Name}
		if len(m.Selector) > 0 {
			id.Selector = &metav1.LabelSelector{MatchLabels: m.Selector}
		}
		target := autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType}
		if m.Value != "" {
			target = autoscalingv2.MetricTarget{Type: autoscalingv2.ValueMetricType, Value: ptr.To(resource.MustParse(m.Value))}
		} else {
			target.AverageValue = ptr.To(resource.MustParse(m.AverageValue))
		}
		switch m.Type {
		case model.MetricPods:
			out = append(out, autoscalingv2.MetricSpec{Type: autoscalingv2.PodsMetricSourceType, Pods: &autoscalingv2.PodsMetricSource{Metric: id, Target: target}})
		case model.MetricExternal:
			out = append(out, autoscalingv2.MetricSpec{Type: autoscalingv2.ExternalMetricSourceType, External: &autoscalingv2.ExternalMetricSource{Metric: id, Target: target}})
		}
	}
	return out
}

// The VerticalPodAutoscaler (autoscaling.k8s.io/v1) as local types: the
// autoscaler module is heavy, and a test validates these objects against
// its CRD.
type verticalPodAutoscaler struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Metadata   metav1.ObjectMeta `json:"metadata"`
	Spec       vpaSpec           `json:"spec"`
}

type vpaSpec struct {
	TargetRef      autoscalingv2.CrossVersionObjectReference `json:"targetRef"`
	UpdatePolicy   vpaUpdatePolicy                           `json:"updatePolicy"`
	ResourcePolicy vpaResourcePolicy                         `json:"resourcePolicy"`
}

type vpaUpdatePolicy struct {
	UpdateMode string `json:"updateMode"`
}

type vpaResourcePolicy struct {
	ContainerPolicies []vpaContainerPolicy `json:"containerPolicies"`
}

type vpaContainerPolicy struct {
	ContainerName       string              `json:"containerName"`
	ControlledResources []string            `json:"controlledResources"`
	ControlledValues    string              `json:"controlledValues"`
	MinAllowed          corev1.ResourceList `json:"minAllowed,omitempty"`
	MaxAllowed          corev1.ResourceList `json:"maxAllowed,omitempty"`
}

func verticalAutoscaler(p *model.Platform, svc *model.Service, kind string, v *model.VerticalScaling) *verticalPodAutoscaler {
	return &verticalPodAutoscaler{
		APIVersion: "autoscaling.k8s.io/v1",
		Kind:       "VerticalPodAutoscaler",
		Metadata:   meta(p, svc),
		Spec: vpaSpec{
			TargetRef:    autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: kind, Name: svc.Name},
			UpdatePolicy: vpaUpdatePolicy{UpdateMode: v.Mode},
			ResourcePolicy: vpaResourcePolicy{ContainerPolicies: []vpaContainerPolicy{{
				ContainerName:       svc.Name,
				ControlledResources: v.Resources,
				ControlledValues:    v.ControlledValues,
				MinAllowed:          bound(v.Min),
				MaxAllowed:          bound(v.Max),
			}}},
		},
	}
}

func bound(b *model.ResourceBound) corev1.ResourceList {
	if b == nil {
		return nil
	}
	out := corev1.ResourceList{}
	if b.CPUMillis != nil {
		out[corev1.ResourceCPU] = *resource.NewMilliQuantity(*b.CPUMillis, resource.DecimalSI)
	}
	if b.MemoryMiB != nil {
		out[corev1.ResourceMemory] = mib(*b.MemoryMiB)
	}
	return out
}

// onDemandPatch keeps an on-demand service's pods on the on-demand pool in
// an environment where Karpenter provisions the nodes: they tolerate the
// pool's taint and select both the pool and on-demand capacity, so they
// can land on no spot node even if a pool's shape changes. Nil for a
// spot-ok service or without Karpenter (there is no such pool, and the
// selector would leave the pods pending).
func onDemandPatch(p *model.Platform, svc *model.Service, env *model.Environment, kind string) (*kusttypes.Patch, error) {
	if svc.Capacity != model.CapacityOnDemand || !p.Addons.Karpenter.In(env.Name) {
		return nil, nil
	}
	ops := []map[string]any{
		{"op": "add", "path": "/spec/template/spec/nodeSelector", "value": OnDemandNodeSelector()},
		{"op": "add", "path": "/spec/template/spec/tolerations", "value": []corev1.Toleration{OnDemandToleration()}},
	}
	data, err := json.Marshal(ops)
	if err != nil {
		return nil, err
	}
	return &kusttypes.Patch{Target: &kusttypes.Selector{ResId: resID("apps", "v1", kind, svc.Name)}, Patch: string(data)}, nil
}

// OnDemandNodeSelector is the node selector of on-demand pods.
func OnDemandNodeSelector() map[string]string {
	return map[string]string{poolnames.NodePoolLabel: poolnames.OnDemand, poolnames.CapacityTypeLabel: "on-demand"}
}

// OnDemandToleration tolerates the on-demand pool's taint.
func OnDemandToleration() corev1.Toleration {
	return corev1.Toleration{
		Key:      poolnames.OnDemandTaintKey,
		Operator: corev1.TolerationOpEqual,
		Value:    poolnames.OnDemandTaintValue,
		Effect:   corev1.TaintEffect(poolnames.OnDemandTaintEffect),
	}
}

// PriorityClassName is the PriorityClass of a #Priority.
func PriorityClassName(priority string) string { return "idpgen-" + priority }

// priorityClasses are the PriorityClasses every environment provides, one
// per #Priority. Values stay far below the system classes (2,000,000,000
// and more) so that cluster-critical add-ons always win; none is the
// global default, so add-ons keep their charts' own classes.
func priorityClasses(p *model.Platform, env *model.Environment) []any {
	classes := []struct {
		name        string
		value       int32
		preempt     corev1.PreemptionPolicy
		description string
	}{
		{model.PriorityCritical, 1000000, corev1.PreemptLowerPriority, "Services whose loss is an outage (databases, stateful services): preempted last."},
		{model.PriorityStandard, 100000, corev1.PreemptLowerPriority, "The default for services."},
		{model.PriorityBatch, 1000, corev1.PreemptNever, "Work that can wait: never preempts, preempted first."},
	}
	var out []any
	for _, c := range classes {
		out = append(out, &schedulingv1.PriorityClass{
			TypeMeta: typeMeta("scheduling.k8s.io/v1", "PriorityClass"),
			ObjectMeta: metav1.ObjectMeta{
				Name:   PriorityClassName(c.name),
				Labels: map[string]string{"app.kubernetes.io/managed-by": "idpgen", "app.kubernetes.io/part-of": p.Name, LabelEnvironment: env.Name},
			},
			Value:            c.value,
			PreemptionPolicy: ptr.To(c.preempt),
			Description:      c.description,
		})
	}
	return out
}
