package kustomize_test

import (
	"fmt"
	"math/rand/v2"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/utils/ptr"

	"github.com/idpgen/idpgen/internal/crdschema"
	"github.com/idpgen/idpgen/internal/emit/kustomize"
	"github.com/idpgen/idpgen/internal/model"
	"github.com/idpgen/idpgen/internal/poolnames"
	"github.com/idpgen/idpgen/internal/tree"
)

var (
	vpaOnce sync.Once
	vpaSet  *crdschema.Set
	vpaErr  error
)

// vpaCRD is the upstream VerticalPodAutoscaler CRD, from the autoscaler
// module pinned in internal/crdschema/pin (the version whose chart the
// catalog installs).
func vpaCRD(t *testing.T) *crdschema.Set {
	t.Helper()
	vpaOnce.Do(func() {
		dir, err := crdschema.ModuleDir(crdschema.VPA)
		if err != nil {
			vpaErr = fmt.Errorf("the VPA CRD is read from the Go module cache: %w", err)
			return
		}
		vpaSet, vpaErr = crdschema.Load(filepath.Join(dir, "deploy", "vpa-v1-crd-gen.yaml"))
	})
	if vpaErr != nil {
		t.Fatal(vpaErr)
	}
	return vpaSet
}

// checkPDB: the budget is the one PDB() resolves, with exactly one of its
// fields, and none at all where the service asks for none or runs one
// pod without saying what it wants.
func checkPDB(t *testing.T, w model.Workload, pdb *policyv1.PodDisruptionBudget) {
	t.Helper()
	want := w.PDB()
	switch {
	case want == nil && pdb != nil:
		t.Errorf("PDB %+v, want none", pdb.Spec)
	case want == nil:
	case pdb == nil:
		t.Errorf("no PDB, want %+v", *want)
	case want.MinAvailable != nil:
		if pdb.Spec.MaxUnavailable != nil || pdb.Spec.MinAvailable == nil || pdb.Spec.MinAvailable.IntValue() != *want.MinAvailable {
			t.Errorf("PDB %+v, want minAvailable %d", pdb.Spec, *want.MinAvailable)
		}
	default:
		if pdb.Spec.MinAvailable != nil || pdb.Spec.MaxUnavailable == nil || pdb.Spec.MaxUnavailable.IntValue() != *want.MaxUnavailable {
			t.Errorf("PDB %+v, want maxUnavailable %d", pdb.Spec, *want.MaxUnavailable)
		}
	}
	if want == nil && w.Replicas == 1 && w.Disruption == nil && pdb != nil {
		t.Error("a single-pod service that says nothing got a PDB")
	}
	if pdb == nil {
		return
	}
	// Never a budget that blocks every eviction, nor one that protects
	// nothing without being asked for.
	if m := pdb.Spec.MinAvailable; m != nil && m.IntValue() >= w.Replicas {
		t.Errorf("minAvailable %d with %d pods never allows an eviction", m.IntValue(), w.Replicas)
	}
	if m := pdb.Spec.MaxUnavailable; m != nil && (m.IntValue() == 0 || (w.Disruption == nil && m.IntValue() >= w.Replicas)) {
		t.Errorf("maxUnavailable %d with %d pods", m.IntValue(), w.Replicas)
	}
}

// checkHPA: bounds, metrics and the full behaviour (declared over the
// tier's default).
func checkHPA(t *testing.T, w model.Workload, hpa *autoscalingv2.HorizontalPodAutoscaler) {
	t.Helper()
	a := w.Autoscaling
	if *hpa.Spec.MinReplicas != a.MinReplicas || hpa.Spec.MaxReplicas != a.MaxReplicas {
		t.Errorf("HPA replicas %d..%d, want %d..%d", *hpa.Spec.MinReplicas, hpa.Spec.MaxReplicas, a.MinReplicas, a.MaxReplicas)
	}
	var got []string
	for _, m := range hpa.Spec.Metrics {
		switch m.Type {
		case autoscalingv2.ResourceMetricSourceType:
			got = append(got, fmt.Sprintf("%s=%d%%", m.Resource.Name, *m.Resource.Target.AverageUtilization))
		case autoscalingv2.PodsMetricSourceType:
			got = append(got, fmt.Sprintf("Pods %s avg %s", m.Pods.Metric.Name, m.Pods.Target.AverageValue))
		case autoscalingv2.ExternalMetricSourceType:
			q := m.External.Target.AverageValue
			if q == nil {
				q = m.External.Target.Value
			}
			got = append(got, fmt.Sprintf("External %s %s %s", m.External.Metric.Name, m.External.Target.Type, q))
		}
	}
	var want []string
	if cpu := a.CPUTarget(); cpu != nil {
		want = append(want, fmt.Sprintf("cpu=%d%%", *cpu))
	}
	if a.TargetMemoryUtilization != nil {
		want = append(want, fmt.Sprintf("memory=%d%%", *a.TargetMemoryUtilization))
	}
	for _, m := range a.Metrics {
		if m.Type == model.MetricPods {
			want = append(want, fmt.Sprintf("Pods %s avg %s", m.Name, ptr.To(resource.MustParse(m.AverageValue))))
		} else if m.Value != "" {
			want = append(want, fmt.Sprintf("External %s Value %s", m.Name, ptr.To(resource.MustParse(m.Value))))
		} else {
			want = append(want, fmt.Sprintf("External %s AverageValue %s", m.Name, ptr.To(resource.MustParse(m.AverageValue))))
		}
	}
	if !slices.Equal(got, want) || len(got) == 0 {
		t.Errorf("HPA metrics %v, want %v", got, want)
	}
	b := w.HPABehavior()
	if hpa.Spec.Behavior == nil {
		t.Fatal("HPA without behaviour")
	}
	for _, dir := range []struct {
		name string
		got  *autoscalingv2.HPAScalingRules
		want *model.ScalingRules
	}{{"scaleUp", hpa.Spec.Behavior.ScaleUp, b.ScaleUp}, {"scaleDown", hpa.Spec.Behavior.ScaleDown, b.ScaleDown}} {
		g, wr := dir.got, dir.want
		if g == nil || *g.StabilizationWindowSeconds != *wr.StabilizationWindowSeconds || string(*g.SelectPolicy) != *wr.SelectPolicy || len(g.Policies) != len(wr.Policies) {
			t.Errorf("HPA %s %+v, want %+v", dir.name, g, wr)
			continue
		}
		for i, pol := range wr.Policies {
			if gp := g.Policies[i]; string(gp.Type) != pol.Type || gp.Value != pol.Value || gp.PeriodSeconds != pol.PeriodSeconds {
				t.Errorf("HPA %s policy %d = %+v, want %+v", dir.name, i, gp, pol)
			}
		}
	}
}

// checkVPA: a VPA exactly where VPA() resolves one, with its fields.
func checkVPA(t *testing.T, svc *model.Service, w model.Workload, addon bool, vpa map[string]any) {
	t.Helper()
	want := w.VPA(addon)
	if want == nil || vpa == nil {
		if (want == nil) != (vpa == nil) {
			t.Errorf("VPA %v, want %v", vpa, want)
		}
		return
	}
	spec := vpa["spec"].(map[string]any)
	if mode := spec["updatePolicy"].(map[string]any)["updateMode"]; mode != want.Mode {
		t.Errorf("VPA updateMode %v, want %s", mode, want.Mode)
	}
	cp := spec["resourcePolicy"].(map[string]any)["containerPolicies"].([]any)[0].(map[string]any)
	if cp["containerName"] != svc.Name || cp["controlledValues"] != want.ControlledValues || fmt.Sprint(cp["controlledResources"]) != fmt.Sprint(want.Resources) {
		t.Errorf("VPA container policy %v, want %+v", cp, *want)
	}
	if w.Autoscaling != nil && want.Mode != model.VPAOff {
		for _, r := range want.Resources {
			if (r == "cpu" && w.Autoscaling.CPUTarget() != nil) || (r == "memory" && w.Autoscaling.TargetMemoryUtilization != nil) {
				t.Errorf("the VPA updates %s, which the HPA scales on", r)
			}
		}
	}
}

// checkScheduling: the pod's PriorityClass, and the on-demand pool for an
// on-demand service where Karpenter runs (nothing elsewhere).
func checkScheduling(t *testing.T, svc *model.Service, w model.Workload, karpenter bool, spec corev1.PodSpec) {
	t.Helper()
	if spec.PriorityClassName != kustomize.PriorityClassName(svc.Priority) || svc.Priority == "" {
		t.Errorf("priorityClassName %q, want the class of %q", spec.PriorityClassName, svc.Priority)
	}
	if onDemand := svc.Capacity == model.CapacityOnDemand && karpenter; onDemand != (spec.NodeSelector != nil) || onDemand != tolerates(spec) {
		t.Errorf("capacity %s, karpenter %v: nodeSelector %v, tolerations %v", svc.Capacity, karpenter, spec.NodeSelector, spec.Tolerations)
	}
}

func tolerates(spec corev1.PodSpec) bool {
	return slices.Contains(spec.Tolerations, kustomize.OnDemandToleration())
}

// mayRunOnSpot reports whether the scheduler may place the pod on a spot
// node: unless it requires on-demand capacity, Karpenter's general pool
// may give it one.
func mayRunOnSpot(spec corev1.PodSpec) bool {
	return spec.NodeSelector[poolnames.CapacityTypeLabel] != "on-demand"
}

// The property: whatever the environments' Karpenter and spot settings and
// whatever capacity the other services choose, no StatefulSet and no
// on-demand service may ever run on a spot node where Karpenter provisions
// nodes, each of them tolerates the pool it selects, and spot-ok services
// stay off the on-demand pool. Checked on built overlays (what Argo CD
// applies) of random variations of the example.
func TestStatefulServicesNeverLandOnSpot(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 2))
	for round := range 4 {
		p, _ := renderExample(t)
		karpenterEnvs := []string{}
		for _, env := range p.EnvironmentList {
			env.Sizing.Karpenter.Spot = rng.IntN(2) == 0
			if round == 0 || rng.IntN(3) > 0 {
				karpenterEnvs = append(karpenterEnvs, env.Name)
			}
		}
		p.Addons.Karpenter.Enabled, p.Addons.Karpenter.Environments = true, karpenterEnvs
		for _, svc := range p.ServiceList {
			if svc.Kind != model.KindStateful && rng.IntN(2) == 0 {
				svc.Capacity = model.CapacityOnDemand
			} else if svc.Kind != model.KindStateful {
				svc.Capacity = model.CapacitySpotOK
			}
		}
		out := tree.New()
		if err := kustomize.New().Emit(p, out); err != nil {
			t.Fatal(err)
		}
		stateful := 0
		for _, env := range p.EnvironmentList {
			karpenter := slices.Contains(karpenterEnvs, env.Name)
			for _, o := range build(t, out, kustomize.EnvironmentDir(env.Name)) {
				var spec corev1.PodSpec
				var svc *model.Service
				switch x := decodeStrict(t, o).(type) {
				case *appsv1.StatefulSet:
					spec, svc = x.Spec.Template.Spec, p.Services[x.Name]
					stateful++
					if karpenter && mayRunOnSpot(spec) {
						t.Errorf("round %d: %s (spot %v): StatefulSet %s may run on spot", round, env.Name, env.Sizing.Karpenter.Spot, x.Name)
					}
				case *appsv1.Deployment:
					spec, svc = x.Spec.Template.Spec, p.Services[x.Name]
				default:
					continue
				}
				onDemand := svc.Capacity == model.CapacityOnDemand
				switch {
				case !karpenter && (spec.NodeSelector != nil || len(spec.Tolerations) > 0):
					t.Errorf("round %d: %s has no Karpenter, yet %s selects %v", round, env.Name, svc.Name, spec.NodeSelector)
				case karpenter && onDemand && (mayRunOnSpot(spec) || spec.NodeSelector[poolnames.NodePoolLabel] != poolnames.OnDemand || !tolerates(spec)):
					t.Errorf("round %d: %s: on-demand %s: nodeSelector %v, tolerations %v", round, env.Name, svc.Name, spec.NodeSelector, spec.Tolerations)
				case karpenter && !onDemand && (tolerates(spec) || spec.NodeSelector != nil):
					t.Errorf("round %d: %s: spot-ok %s is kept off the general pool", round, env.Name, svc.Name)
				}
			}
		}
		if stateful == 0 {
			t.Fatal("the example has no stateful service: the property checks nothing")
		}
	}
}

// Every environment carries the three PriorityClasses, in its cluster
// directory (synced before any workload), and every class a pod names is
// one of them.
func TestPriorityClassesPerEnvironment(t *testing.T) {
	p, out := renderExample(t)
	for _, env := range p.EnvironmentList {
		classes := map[string]*schedulingv1.PriorityClass{}
		for _, o := range build(t, out, kustomize.ClusterDir(env.Name)) {
			if pc, ok := decodeStrict(t, o).(*schedulingv1.PriorityClass); ok {
				classes[pc.Name] = pc
			}
		}
		for _, pr := range []string{model.PriorityCritical, model.PriorityStandard, model.PriorityBatch} {
			if classes[kustomize.PriorityClassName(pr)] == nil {
				t.Errorf("%s: no PriorityClass for %s", env.Name, pr)
			}
		}
		crit, std, batch := classes[kustomize.PriorityClassName(model.PriorityCritical)], classes[kustomize.PriorityClassName(model.PriorityStandard)], classes[kustomize.PriorityClassName(model.PriorityBatch)]
		if crit == nil || std == nil || batch == nil {
			continue
		}
		if !(crit.Value > std.Value && std.Value > batch.Value && crit.Value < 1e9) || *batch.PreemptionPolicy != corev1.PreemptNever || crit.GlobalDefault || std.GlobalDefault {
			t.Errorf("%s: classes %d/%d/%d, batch preemption %s", env.Name, crit.Value, std.Value, batch.Value, *batch.PreemptionPolicy)
		}
		for _, o := range build(t, out, kustomize.EnvironmentDir(env.Name)) {
			var name string
			switch x := decodeStrict(t, o).(type) {
			case *appsv1.Deployment:
				name = x.Spec.Template.Spec.PriorityClassName
			case *appsv1.StatefulSet:
				name = x.Spec.Template.Spec.PriorityClassName
			default:
				continue
			}
			if classes[name] == nil {
				t.Errorf("%s: a pod names PriorityClass %q, which the environment does not provide", env.Name, name)
			}
		}
	}
}

// Each capacity field of the schema changes the output: the file (and the
// part of it) it should, from a copy of the example with one field set.
func TestEveryCapacityFieldChangesOutput(t *testing.T) {
	i32 := func(v int32) *int32 { return &v }
	i64 := func(v int64) *int64 { return &v }
	str := func(v string) *string { return &v }
	one, two := 1, 2
	cases := []struct {
		name, svc, env, file, want string
		change                     func(p *model.Platform, s *model.Service)
	}{
		{"capacity", "cart", "dev", "kustomization.yaml", "karpenter.sh/nodepool", func(p *model.Platform, s *model.Service) { s.Capacity = model.CapacityOnDemand }},
		{"priority", "cart", "", "deployment.yaml", "priorityClassName: idpgen-batch", func(p *model.Platform, s *model.Service) { s.Priority = model.PriorityBatch }},
		{"disruption.minAvailable", "checkout", "prod", kustomize.CapacityFile, "minAvailable: 2", func(p *model.Platform, s *model.Service) { s.Disruption = &model.Disruption{MinAvailable: &two} }},
		{"disruption.maxUnavailable", "checkout", "prod", kustomize.CapacityFile, "maxUnavailable: 2", func(p *model.Platform, s *model.Service) { s.Disruption = &model.Disruption{MaxUnavailable: &two} }},
		{"disruption.none", "checkout", "prod", kustomize.CapacityFile, "!PodDisruptionBudget", func(p *model.Platform, s *model.Service) { s.Disruption = &model.Disruption{None: true} }},
		{"single pod, explicit", "cart", "dev", kustomize.CapacityFile, "maxUnavailable: 1", func(p *model.Platform, s *model.Service) { s.Disruption = &model.Disruption{MaxUnavailable: &one} }},
		{"overrides.disruption", "checkout", "prod", kustomize.CapacityFile, "minAvailable: 3", func(p *model.Platform, s *model.Service) {
			o := s.Overrides["prod"]
			o.Disruption = &model.Disruption{MinAvailable: ptr.To(3)}
			s.Overrides["prod"] = o
		}},
		{"verticalScaling.mode", "cart", "dev", kustomize.CapacityFile, "updateMode: Initial", func(p *model.Platform, s *model.Service) {
			v := model.DefaultVerticalScaling()
			v.Mode = model.VPAInitial
			s.VerticalScaling = &v
		}},
		{"verticalScaling.resources", "cart", "dev", kustomize.CapacityFile, "controlledResources:\n      - cpu\n      controlledValues", func(p *model.Platform, s *model.Service) {
			v := model.DefaultVerticalScaling()
			v.Resources = []string{"cpu"}
			s.VerticalScaling = &v
		}},
		{"verticalScaling.controlledValues", "cart", "dev", kustomize.CapacityFile, "controlledValues: RequestsOnly", func(p *model.Platform, s *model.Service) {
			v := model.DefaultVerticalScaling()
			v.ControlledValues = "RequestsOnly"
			s.VerticalScaling = &v
		}},
		{"verticalScaling.min", "cart", "dev", kustomize.CapacityFile, "minAllowed:\n        cpu: 50m", func(p *model.Platform, s *model.Service) {
			v := model.DefaultVerticalScaling()
			v.Min = &model.ResourceBound{CPUMillis: i64(50)}
			s.VerticalScaling = &v
		}},
		{"verticalScaling.max", "cart", "dev", kustomize.CapacityFile, "maxAllowed:\n        memory: 3Gi", func(p *model.Platform, s *model.Service) {
			v := model.DefaultVerticalScaling()
			v.Max = &model.ResourceBound{MemoryMiB: i64(3072)}
			s.VerticalScaling = &v
		}},
		{"overrides.verticalScaling", "cart", "prod", kustomize.CapacityFile, "updateMode: InPlaceOrRecreate", func(p *model.Platform, s *model.Service) {
			o := s.Overrides["prod"]
			o.VerticalScaling = &model.VerticalScalingOverride{Mode: str(model.VPAInPlaceOrRecreate)}
			if s.Overrides == nil {
				s.Overrides = map[string]model.Override{}
			}
			s.Overrides["prod"] = o
		}},
		{"autoscaling.targetMemoryUtilization", "checkout", "dev", kustomize.CapacityFile, "name: memory", func(p *model.Platform, s *model.Service) { s.Autoscaling.TargetMemoryUtilization = i32(80) }},
		{"autoscaling.metrics Pods", "checkout", "dev", kustomize.CapacityFile, "name: http_requests_per_second", func(p *model.Platform, s *model.Service) {
			s.Autoscaling.Metrics = []model.HPAMetric{{Type: model.MetricPods, Name: "http_requests_per_second", AverageValue: "100"}}
		}},
		{"autoscaling.metrics External", "checkout", "dev", kustomize.CapacityFile, "queue: orders", func(p *model.Platform, s *model.Service) {
			s.Autoscaling.Metrics = []model.HPAMetric{{Type: model.MetricExternal, Name: "sqs_messages_visible", Selector: map[string]string{"queue": "orders"}, Value: "30"}}
		}},
		{"autoscaling.behavior.scaleUp", "checkout", "dev", kustomize.CapacityFile, "stabilizationWindowSeconds: 45", func(p *model.Platform, s *model.Service) {
			s.Autoscaling.Behavior = &model.ScalingBehavior{ScaleUp: &model.ScalingRules{StabilizationWindowSeconds: i32(45)}}
		}},
		{"autoscaling.behavior.scaleDown.policies", "checkout", "dev", kustomize.CapacityFile, "type: Pods\n        value: 3", func(p *model.Platform, s *model.Service) {
			s.Autoscaling.Behavior = &model.ScalingBehavior{ScaleDown: &model.ScalingRules{Policies: []model.ScalingPolicy{{Type: "Pods", Value: 3, PeriodSeconds: 30}}}}
		}},
		{"autoscaling.behavior.selectPolicy", "checkout", "dev", kustomize.CapacityFile, "selectPolicy: Disabled", func(p *model.Platform, s *model.Service) {
			s.Autoscaling.Behavior = &model.ScalingBehavior{ScaleDown: &model.ScalingRules{SelectPolicy: str("Disabled")}}
		}},
		{"overrides.autoscaling.behavior", "checkout", "prod", kustomize.CapacityFile, "stabilizationWindowSeconds: 900", func(p *model.Platform, s *model.Service) {
			o := s.Overrides["prod"]
			o.Autoscaling.Behavior = &model.ScalingBehavior{ScaleDown: &model.ScalingRules{StabilizationWindowSeconds: i32(900)}}
			s.Overrides["prod"] = o
		}},
	}
	file := func(out *tree.Tree, svc, env, name string) string {
		dir := kustomize.BaseDir(svc)
		if env != "" {
			dir = kustomize.OverlayDir(env, svc)
		}
		f, _ := out.Get(path.Join(dir, name))
		return string(f.Data)
	}
	_, before := renderExample(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, _ := renderExample(t)
			s := p.Services[c.svc]
			// Deep enough a copy: the cases replace, never edit, what
			// they change below the service, except autoscaling.
			if s.Autoscaling != nil {
				a := *s.Autoscaling
				s.Autoscaling = &a
			}
			c.change(p, s)
			after := tree.New()
			if err := kustomize.New().Emit(p, after); err != nil {
				t.Fatal(err)
			}
			old, got := file(before, c.svc, c.env, c.file), file(after, c.svc, c.env, c.file)
			if old == got {
				t.Fatalf("%s: no change in %s", c.name, c.file)
			}
			if neg, ok := strings.CutPrefix(c.want, "!"); ok {
				if strings.Contains(got, neg) || !strings.Contains(old, neg) {
					t.Errorf("%s: want %s gone from %s:\n%s", c.name, neg, c.file, got)
				}
			} else if !strings.Contains(got, c.want) || strings.Contains(old, c.want) {
				t.Errorf("%s: want %q in %s:\n%s", c.name, c.want, c.file, got)
			}
		})
	}
}

// The tier defaults of the PDB and the HPA behaviour differ as documented.
func TestTierDefaults(t *testing.T) {
	prod, nonprod := &model.Environment{Tier: model.TierProd}, &model.Environment{Tier: model.TierNonprod}
	svc := &model.Service{}
	w := model.Workload{Service: svc, Environment: prod, Replicas: 3}
	if d := w.PDB(); d == nil || d.MaxUnavailable == nil || *d.MaxUnavailable != 1 {
		t.Errorf("prod default PDB %+v, want maxUnavailable 1", d)
	}
	w.Replicas = 1
	if d := w.PDB(); d != nil {
		t.Errorf("prod single pod: PDB %+v, want none", d)
	}
	w.Environment, w.Replicas = nonprod, 3
	if d := w.PDB(); d != nil {
		t.Errorf("nonprod default PDB %+v, want none", d)
	}
	p, n := model.TierBehavior(model.TierProd), model.TierBehavior(model.TierNonprod)
	if !reflect.DeepEqual(p.ScaleUp, n.ScaleUp) || *p.ScaleDown.StabilizationWindowSeconds != 300 || *n.ScaleDown.StabilizationWindowSeconds != 60 {
		t.Errorf("tier behaviours prod %+v / nonprod %+v", p.ScaleDown, n.ScaleDown)
	}
}

// Every VPA rendered for the example, and one with every field set, is
// valid for the upstream CRD.
func TestVPAsMatchUpstreamCRD(t *testing.T) {
	set := vpaCRD(t)
	p, out := renderExample(t)
	s := p.Services["order-worker"]
	v := *s.VerticalScaling
	v.Min = &model.ResourceBound{CPUMillis: ptr.To(int64(50)), MemoryMiB: ptr.To(int64(64))}
	v.Max = &model.ResourceBound{CPUMillis: ptr.To(int64(4000)), MemoryMiB: ptr.To(int64(8192))}
	v.ControlledValues = "RequestsOnly"
	s.VerticalScaling = &v
	full := tree.New()
	if err := kustomize.New().Emit(p, full); err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, tr := range []*tree.Tree{out, full} {
		for _, f := range tr.Files() {
			if path.Base(f.Path) != kustomize.CapacityFile {
				continue
			}
			for _, doc := range strings.Split(string(f.Data), "\n---\n") {
				if !strings.Contains(doc, "kind: VerticalPodAutoscaler") {
					continue
				}
				if _, err := set.ValidateYAML([]byte(doc)); err != nil {
					t.Errorf("%s: %v", f.Path, err)
				}
				checked++
			}
		}
	}
	if checked == 0 {
		t.Fatal("no VPA checked")
	}
	// The validator is strict: a misspelt field fails.
	bad := map[string]any{"apiVersion": "autoscaling.k8s.io/v1", "kind": "VerticalPodAutoscaler", "metadata": map[string]any{"name": "x"},
		"spec": map[string]any{"targetRef": map[string]any{"kind": "Deployment", "name": "x"}, "updatePolicy": map[string]any{"updateMod": "Off"}}}
	if err := set.Validate(bad); err == nil {
		t.Error("a misspelt VPA field passed validation")
	}
}
