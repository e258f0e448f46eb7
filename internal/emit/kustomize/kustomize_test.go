package kustomize_test

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
	"testing"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/load"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/idpgen/idpgen/internal/emit/kustomize"
	"github.com/idpgen/idpgen/internal/model"
	"github.com/idpgen/idpgen/internal/render"
	"github.com/idpgen/idpgen/internal/tree"
)

const example = "../../../platforms/example"

func renderExample(t *testing.T) (*model.Platform, *tree.Tree) {
	t.Helper()
	p, err := render.Load(example)
	if err != nil {
		t.Fatal(err)
	}
	out := tree.New()
	if err := kustomize.New().Emit(p, out); err != nil {
		t.Fatal(err)
	}
	return p, out
}

// build runs kustomize (krusty, the library behind `kustomize build`) on dir
// of the rendered tree, held in an in-memory filesystem.
func build(t *testing.T, out *tree.Tree, dir string) []map[string]any {
	t.Helper()
	fs := filesys.MakeFsInMemory()
	for _, f := range out.Files() {
		if err := fs.WriteFile(path.Join("/generated", f.Path), f.Data); err != nil {
			t.Fatal(err)
		}
	}
	rm, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(fs, path.Join("/generated", dir))
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	var objs []map[string]any
	for _, r := range rm.Resources() {
		m, err := r.Map()
		if err != nil {
			t.Fatal(err)
		}
		objs = append(objs, m)
	}
	return objs
}

// decodeStrict decodes a built object into its k8s.io/api type; an unknown
// or duplicated field fails, as it would with the API server's strict field
// validation.
func decodeStrict(t *testing.T, obj map[string]any) any {
	t.Helper()
	data, err := yaml.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	var typed any
	switch fmt.Sprintf("%s/%s", obj["apiVersion"], obj["kind"]) {
	case "apps/v1/Deployment":
		typed = &appsv1.Deployment{}
	case "apps/v1/StatefulSet":
		typed = &appsv1.StatefulSet{}
	case "v1/Service":
		typed = &corev1.Service{}
	case "v1/ServiceAccount":
		typed = &corev1.ServiceAccount{}
	case "v1/Namespace":
		typed = &corev1.Namespace{}
	case "v1/ConfigMap":
		typed = &corev1.ConfigMap{}
	case "policy/v1/PodDisruptionBudget":
		typed = &policyv1.PodDisruptionBudget{}
	case "storage.k8s.io/v1/StorageClass":
		typed = &storagev1.StorageClass{}
	case "autoscaling/v2/HorizontalPodAutoscaler":
		typed = &autoscalingv2.HorizontalPodAutoscaler{}
	case "scheduling.k8s.io/v1/PriorityClass":
		typed = &schedulingv1.PriorityClass{}
	case "autoscaling.k8s.io/v1/VerticalPodAutoscaler":
		// Not a core type: validated against the upstream CRD.
		if err := vpaCRD(t).Validate(obj); err != nil {
			t.Fatalf("VerticalPodAutoscaler %v: %v", obj["metadata"], err)
		}
		return obj
	case "gateway.networking.k8s.io/v1/Gateway":
		validateGatewayAPI(t, obj) // ingress_test.go
		typed = &kustomize.Gateway{}
	case "gateway.networking.k8s.io/v1/HTTPRoute":
		validateGatewayAPI(t, obj)
		typed = &kustomize.HTTPRoute{}
	case "networking.k8s.io/v1/NetworkPolicy":
		typed = &networkingv1.NetworkPolicy{}
	default:
		if istio := validateIstio(t, obj); istio != nil { // traffic_test.go
			return istio
		}
		t.Fatalf("unexpected object %s/%s", obj["apiVersion"], obj["kind"])
	}
	if err := yaml.UnmarshalStrict(data, typed); err != nil {
		t.Fatalf("%s %v: %v", obj["kind"], obj["metadata"], err)
	}
	return typed
}

func TestEveryOverlayBuildsIntoValidObjects(t *testing.T) {
	p, out := renderExample(t)
	for _, env := range p.EnvironmentList {
		for _, svc := range p.ServiceList {
			t.Run(env.Name+"/"+svc.Name, func(t *testing.T) {
				if !svc.Enabled(env.Name) {
					if _, ok := out.Get(path.Join(kustomize.OverlayDir(env.Name, svc.Name), "kustomization.yaml")); ok {
						t.Fatal("a service disabled in this environment has an overlay")
					}
					return
				}
				w := svc.In(env)
				objs := build(t, out, kustomize.OverlayDir(env.Name, svc.Name))
				var kinds []string
				var pod *corev1.PodTemplateSpec
				var replicas *int32
				var hpa *autoscalingv2.HorizontalPodAutoscaler
				var pdb *policyv1.PodDisruptionBudget
				var vpa map[string]any
				for _, o := range objs {
					typed := decodeStrict(t, o)
					checkLabelsAndAnnotations(t, o)
					kinds = append(kinds, o["kind"].(string))
					switch x := typed.(type) {
					case *appsv1.Deployment:
						pod, replicas = &x.Spec.Template, x.Spec.Replicas
						checkMeta(t, p, svc, env, w, x.ObjectMeta)
						if !slices.Equal(slices.Sorted(maps.Keys(x.Spec.Selector.MatchLabels)), []string{kustomize.LabelName}) {
							t.Errorf("selector %v: it must stay app.kubernetes.io/name alone (selectors are immutable)", x.Spec.Selector.MatchLabels)
						}
					case *appsv1.StatefulSet:
						pod, replicas = &x.Spec.Template, x.Spec.Replicas
						checkMeta(t, p, svc, env, w, x.ObjectMeta)
						if !slices.Equal(slices.Sorted(maps.Keys(x.Spec.Selector.MatchLabels)), []string{kustomize.LabelName}) {
							t.Errorf("selector %v: it must stay app.kubernetes.io/name alone (selectors are immutable)", x.Spec.Selector.MatchLabels)
						}
						got := x.Spec.VolumeClaimTemplates[0].Spec.Resources.Requests[corev1.ResourceStorage]
						if want := resource.MustParse(fmt.Sprintf("%dGi", w.StorageGiB)); got.Cmp(want) != 0 {
							t.Errorf("volume size = %s, want %s", got.String(), want.String())
						}
					case *autoscalingv2.HorizontalPodAutoscaler:
						hpa = x
					case *corev1.Service:
						if x.Spec.Selector[kustomize.LabelName] != svc.Name {
							t.Errorf("service selector %v", x.Spec.Selector)
						}
					case *policyv1.PodDisruptionBudget:
						pdb = x
					case map[string]any: // custom resources: the VPA, Istio's
						if x["kind"] == "VerticalPodAutoscaler" {
							vpa = x
						}
					}
				}
				if !slices.Contains(kinds, "ServiceAccount") {
					t.Errorf("no ServiceAccount in %v", kinds)
				}
				checkPDB(t, w, pdb)
				checkVPA(t, svc, w, p.Addons.VPA.In(env.Name), vpa)
				if pod == nil {
					t.Fatalf("no workload in %v", kinds)
				}
				checkPod(t, svc, w, pod)
				checkScheduling(t, svc, w, p.Addons.Karpenter.In(env.Name), pod.Spec)
				switch {
				case w.Autoscaling != nil:
					if hpa == nil {
						t.Fatal("autoscaling is set but there is no HorizontalPodAutoscaler")
					}
					if replicas != nil {
						t.Errorf("workload sets replicas=%d while an HPA owns them", *replicas)
					}
					checkHPA(t, w, hpa)
				default:
					if hpa != nil {
						t.Error("HPA without autoscaling")
					}
					if replicas == nil || int(*replicas) != w.Replicas {
						t.Errorf("replicas = %v, want %d", replicas, w.Replicas)
					}
				}
			})
		}
	}
}

func checkMeta(t *testing.T, p *model.Platform, svc *model.Service, env *model.Environment, w model.Workload, m metav1.ObjectMeta) {
	t.Helper()
	if m.Namespace != svc.Namespace {
		t.Errorf("namespace = %q, want %q", m.Namespace, svc.Namespace)
	}
	if got, want := m.Annotations[kustomize.AnnotationOwners], strings.Join(p.Teams[svc.Team].Owners, ","); got != want || got == "" {
		t.Errorf("owners annotation = %q, want %q", got, want)
	}
	labels := m.Labels
	want := map[string]string{
		kustomize.LabelName:            svc.Name,
		kustomize.LabelInstance:        svc.Name,
		kustomize.LabelTeam:            svc.Team,
		kustomize.LabelEnvironment:     env.Name,
		"app.kubernetes.io/managed-by": "idpgen",
		"app.kubernetes.io/part-of":    "acme",
		"app.kubernetes.io/component":  svc.Kind,
	}
	if w.Image.Digest == "" {
		want[kustomize.LabelVersion] = w.Image.Tag
	}
	for k, v := range want {
		if labels[k] != v {
			t.Errorf("label %s = %q, want %q", k, labels[k], v)
		}
	}
}

// checkPod asserts the secure-by-default pod: PSS restricted, pinned image,
// requests and limits, probes, zone spreading, and the environment's values.
func checkPod(t *testing.T, svc *model.Service, w model.Workload, pod *corev1.PodTemplateSpec) {
	t.Helper()
	spec := pod.Spec
	if pod.Labels[kustomize.LabelEnvironment] != w.Environment.Name {
		t.Errorf("pod template lacks the environment label: %v", pod.Labels)
	}
	psc := spec.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("pod security context %+v is not restricted", psc)
	}
	if psc != nil && (psc.RunAsUser == nil || *psc.RunAsUser == 0) {
		t.Error("pod may run as root")
	}
	if spec.HostNetwork || spec.HostPID || spec.HostIPC {
		t.Error("pod uses host namespaces")
	}
	checkSpread(t, w, spec.TopologySpreadConstraints)
	if pod.Labels[kustomize.LabelInstance] != svc.Name {
		t.Errorf("pod template instance label = %q", pod.Labels[kustomize.LabelInstance])
	}
	if len(spec.Containers) != 1 {
		t.Fatalf("%d containers", len(spec.Containers))
	}
	c := spec.Containers[0]
	sc := c.SecurityContext
	if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
		sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
		sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) > 0 ||
		sc.Privileged != nil && *sc.Privileged {
		t.Errorf("container security context %+v is not restricted", sc)
	}
	wantImage := svc.Image.Repository + ":" + w.Image.Tag
	if w.Image.Digest != "" {
		wantImage = svc.Image.Repository + "@" + w.Image.Digest
	}
	if c.Image != wantImage {
		t.Errorf("image = %q, want %q", c.Image, wantImage)
	}
	if strings.HasSuffix(c.Image, ":latest") || !strings.ContainsAny(c.Image, ":@") {
		t.Errorf("image %q is not pinned", c.Image)
	}
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, okReq := c.Resources.Requests[r]
		lim, okLim := c.Resources.Limits[r]
		if !okReq || !okLim || lim.Cmp(req) < 0 {
			t.Errorf("%s: requests %v limits %v", r, c.Resources.Requests, c.Resources.Limits)
		}
	}
	if got, want := c.Resources.Requests.Cpu().MilliValue(), w.Resources.Requests.CPUMillis; got != want {
		t.Errorf("cpu request = %dm, want %dm", got, want)
	}
	if got, want := c.Resources.Limits.Memory().Value(), w.Resources.Limits.MemoryMiB<<20; got != want {
		t.Errorf("memory limit = %d, want %d", got, want)
	}
	if c.LivenessProbe == nil {
		t.Error("no liveness probe")
	}
	if svc.Kind == model.KindWeb && c.ReadinessProbe == nil {
		t.Error("web service without readiness probe")
	}
	// Liveness is more tolerant than readiness: a busy pod leaves the
	// endpoints long before it would be restarted.
	if l, r := c.LivenessProbe, c.ReadinessProbe; l != nil && r != nil {
		if l.PeriodSeconds*l.FailureThreshold <= r.PeriodSeconds*r.FailureThreshold || l.TimeoutSeconds < r.TimeoutSeconds {
			t.Errorf("liveness (every %ds, %d failures, %ds timeout) is not more tolerant than readiness (every %ds, %d failures, %ds timeout)",
				l.PeriodSeconds, l.FailureThreshold, l.TimeoutSeconds, r.PeriodSeconds, r.FailureThreshold, r.TimeoutSeconds)
		}
	}
	checkWritable(t, svc, spec, c)
	env := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		if strings.HasPrefix(e.Name, "DD_") && e.ValueFrom != nil && e.ValueFrom.FieldRef != nil {
			continue // Datadog's tracer variables: TestDatadogUnifiedServiceTagging
		}
		env[e.Name] = e
	}
	for k, v := range w.Env {
		if env[k].Value != v {
			t.Errorf("env %s = %q, want %q", k, env[k].Value, v)
		}
	}
	for k := range svc.Secrets {
		ref := env[k].ValueFrom
		if ref == nil || ref.SecretKeyRef == nil || ref.SecretKeyRef.Name != kustomize.SecretName(svc) || env[k].Value != "" {
			t.Errorf("secret %s is not a reference to Secret %s: %+v", k, kustomize.SecretName(svc), env[k])
		}
	}
	if len(env) != len(w.Env)+len(svc.Secrets) {
		t.Errorf("env has %d variables, want %d", len(env), len(w.Env)+len(svc.Secrets))
	}
}

// The environment's top-level kustomization builds everything deployed
// there, and the team namespaces enforce the Pod Security Standard.
func TestEnvironmentBuildsWithNamespaces(t *testing.T) {
	p, out := renderExample(t)
	for _, env := range p.EnvironmentList {
		objs := build(t, out, kustomize.EnvironmentDir(env.Name))
		namespaces := map[string]*corev1.Namespace{}
		workloads := 0
		var classes []*storagev1.StorageClass
		for _, o := range objs {
			checkLabelsAndAnnotations(t, o)
			switch x := decodeStrict(t, o).(type) {
			case *corev1.Namespace:
				namespaces[x.Name] = x
			case *appsv1.Deployment, *appsv1.StatefulSet:
				workloads++
				if sts, ok := x.(*appsv1.StatefulSet); ok {
					if sc := sts.Spec.VolumeClaimTemplates[0].Spec.StorageClassName; sc == nil || *sc != kustomize.StorageClass {
						t.Errorf("%s: %s claims storage class %v, which the environment does not provide", env.Name, sts.Name, sc)
					}
				}
			case *storagev1.StorageClass:
				classes = append(classes, x)
			}
		}
		if len(classes) != 1 || classes[0].Name != kustomize.StorageClass || classes[0].Provisioner != "ebs.csi.aws.com" ||
			classes[0].Annotations["storageclass.kubernetes.io/is-default-class"] != "true" || classes[0].Parameters["encrypted"] != "true" {
			t.Errorf("%s: storage classes %+v", env.Name, classes)
		} else if retain := *classes[0].ReclaimPolicy == corev1.PersistentVolumeReclaimRetain; retain != env.Prod() {
			t.Errorf("%s: reclaim policy %s", env.Name, *classes[0].ReclaimPolicy)
		}
		enabled := 0
		for _, svc := range p.ServiceList {
			if svc.Enabled(env.Name) {
				enabled++
			}
		}
		if workloads != enabled {
			t.Errorf("%s: %d workloads, want %d", env.Name, workloads, enabled)
		}
		for _, team := range p.TeamList {
			for _, ns := range team.Namespaces {
				n := namespaces[ns]
				if n == nil {
					t.Errorf("%s: namespace %s missing", env.Name, ns)
					continue
				}
				if n.Labels["pod-security.kubernetes.io/enforce"] != "restricted" || n.Labels["pod-security.kubernetes.io/enforce-version"] != "v"+env.Kubernetes.Version {
					t.Errorf("%s: namespace %s labels %v", env.Name, ns, n.Labels)
				}
				if want := map[bool]string{true: "ambient"}[p.Addons.Istio.In(env.Name)]; n.Labels["istio.io/dataplane-mode"] != want {
					t.Errorf("%s: namespace %s dataplane mode %q, want %q", env.Name, ns, n.Labels["istio.io/dataplane-mode"], want)
				}
				if n.Labels[kustomize.LabelTeam] != team.Name {
					t.Errorf("namespace %s team label %q", ns, n.Labels[kustomize.LabelTeam])
				}
			}
		}
		for _, svc := range p.ServiceList {
			if namespaces[svc.Namespace] == nil {
				t.Errorf("service %s runs in %s, which the environment does not create", svc.Name, svc.Namespace)
			}
		}
	}
}

// Overrides change only what they set: the prod checkout override sets
// min/max replicas and keeps the service's CPU target.
func TestOverrideInheritsUnsetFields(t *testing.T) {
	p, _ := renderExample(t)
	w := p.Services["checkout"].In(p.Environments["prod"])
	if w.Autoscaling.MinReplicas != 4 || w.Autoscaling.MaxReplicas != 30 || *w.Autoscaling.CPUTarget() != 65 {
		t.Errorf("prod checkout autoscaling = %+v", *w.Autoscaling)
	}
	search := p.Services["search"].In(p.Environments["dev"])
	if search.Resources.Requests.CPUMillis != 100 || search.Resources.Limits.MemoryMiB != 2048 {
		t.Errorf("dev search resources = %+v", search.Resources)
	}
	worker := p.Services["order-worker"].In(p.Environments["dev"])
	if worker.Env["LOG_LEVEL"] != "debug" {
		t.Errorf("dev order-worker env = %v", worker.Env)
	}
}

// checkSpread: a prod workload of two pods or more is spread hard over
// zones (at least two), every other one softly; nodes are always spread
// softly.
func checkSpread(t *testing.T, w model.Workload, cs []corev1.TopologySpreadConstraint) {
	t.Helper()
	hard := w.Environment.Prod() && w.Replicas >= 2
	var zone, host *corev1.TopologySpreadConstraint
	for i, c := range cs {
		switch c.TopologyKey {
		case "topology.kubernetes.io/zone":
			zone = &cs[i]
		case "kubernetes.io/hostname":
			host = &cs[i]
		}
	}
	if zone == nil || host == nil {
		t.Fatalf("spread constraints %+v lack zone or hostname", cs)
	}
	if host.WhenUnsatisfiable != corev1.ScheduleAnyway {
		t.Errorf("hostname spread is %s", host.WhenUnsatisfiable)
	}
	if zone.LabelSelector == nil || zone.LabelSelector.MatchLabels[kustomize.LabelName] != w.Service.Name {
		t.Errorf("zone spread selects %v", zone.LabelSelector)
	}
	switch {
	case hard && (zone.WhenUnsatisfiable != corev1.DoNotSchedule || zone.MinDomains == nil || *zone.MinDomains != 2):
		t.Errorf("%d pods in %s: zone spread %s, minDomains %v; want DoNotSchedule over at least 2 zones", w.Replicas, w.Environment.Name, zone.WhenUnsatisfiable, zone.MinDomains)
	case !hard && (zone.WhenUnsatisfiable != corev1.ScheduleAnyway || zone.MinDomains != nil):
		t.Errorf("%d pods in %s: zone spread %s, minDomains %v; want ScheduleAnyway", w.Replicas, w.Environment.Name, zone.WhenUnsatisfiable, zone.MinDomains)
	}
}

// checkWritable: every writable path is an emptyDir mount with its size
// limit, beside /tmp (and the data volume), and the root stays read-only.
func checkWritable(t *testing.T, svc *model.Service, spec corev1.PodSpec, c corev1.Container) {
	t.Helper()
	volumes := map[string]corev1.Volume{}
	for _, v := range spec.Volumes {
		volumes[v.Name] = v
	}
	mounts := map[string]string{}
	for _, m := range c.VolumeMounts {
		if _, dup := mounts[m.MountPath]; dup {
			t.Errorf("%s is mounted twice", m.MountPath)
		}
		mounts[m.MountPath] = m.Name
	}
	want := map[string]int{"/tmp": 256}
	for _, w := range svc.WritablePaths {
		want[w.Path] = w.SizeLimitMiB
	}
	for p, mib := range want {
		v, ok := volumes[mounts[p]]
		if !ok || v.EmptyDir == nil || v.EmptyDir.SizeLimit == nil || v.EmptyDir.SizeLimit.Value() != int64(mib)<<20 {
			t.Errorf("%s: mount %q, volume %+v; want an emptyDir of %d MiB", p, mounts[p], v, mib)
		}
	}
	if len(mounts) != len(want)+map[bool]int{true: 1}[svc.Storage != nil] {
		t.Errorf("mounts %v, want the writable paths %v and the data volume", mounts, want)
	}
}

// checkLabelsAndAnnotations validates the labels and annotations of an
// object, and of the pod template it embeds, with the API server's own
// rules (k8s.io/apimachinery).
func checkLabelsAndAnnotations(t *testing.T, obj map[string]any) {
	t.Helper()
	for _, errs := range metaErrors(obj) {
		t.Errorf("%s %v: %v", obj["kind"], obj["metadata"], errs)
	}
}

func metaErrors(obj map[string]any) field.ErrorList {
	var errs field.ErrorList
	check := func(md map[string]any, path *field.Path) {
		errs = append(errs, metav1validation.ValidateLabels(stringMap(md["labels"]), path.Child("labels"))...)
		errs = append(errs, apivalidation.ValidateAnnotations(stringMap(md["annotations"]), path.Child("annotations"))...)
	}
	if md, ok := obj["metadata"].(map[string]any); ok {
		check(md, field.NewPath("metadata"))
	}
	if spec, ok := obj["spec"].(map[string]any); ok {
		if tmpl, ok := spec["template"].(map[string]any); ok {
			if md, ok := tmpl["metadata"].(map[string]any); ok {
				check(md, field.NewPath("spec", "template", "metadata"))
			}
		}
	}
	return errs
}

func stringMap(v any) map[string]string {
	m, _ := v.(map[string]any)
	out := map[string]string{}
	for k, v := range m {
		out[k] = fmt.Sprint(v)
	}
	return out
}

// The label check itself must catch what the API server refuses.
func TestLabelCheckRefusesInvalidValues(t *testing.T) {
	bad := map[string]any{"metadata": map[string]any{
		"labels":      map[string]any{"idpgen.dev/cost-center": "${file(\"/etc/passwd\")}"},
		"annotations": map[string]any{"x": strings.Repeat("a", 300<<10)},
	}, "spec": map[string]any{"template": map[string]any{"metadata": map[string]any{"labels": map[string]any{"a": strings.Repeat("b", 64)}}}}}
	if errs := metaErrors(bad); len(errs) != 3 {
		t.Errorf("got %d errors, want 3: %v", len(errs), errs)
	}
}

// The example uses both forms of writable paths; their emptyDirs carry the
// declared or the default size limit.
func TestWritablePathsOfTheExample(t *testing.T) {
	p, _ := renderExample(t)
	want := map[string][]model.WritablePath{
		"ledger":   {{Path: "/var/run/postgresql", SizeLimitMiB: 256}},
		"sessions": {{Path: "/var/run/redis", SizeLimitMiB: 16}},
	}
	for name, paths := range want {
		if got := p.Services[name].WritablePaths; !slices.Equal(got, paths) {
			t.Errorf("%s: writable paths %+v, want %+v", name, got, paths)
		}
	}
}

// Prod spreads hard where it has two pods or more: the example has both
// cases, so the generic check in TestEveryOverlayBuildsIntoValidObjects
// is not vacuous.
func TestProdSpreadCoversBothCases(t *testing.T) {
	p, out := renderExample(t)
	prod := p.Environments["prod"]
	for svc, wantHard := range map[string]bool{"checkout": true, "order-worker": true, "catalog": true, "ledger": false} {
		var hard bool
		for _, o := range build(t, out, kustomize.OverlayDir(prod.Name, svc)) {
			switch x := decodeStrict(t, o).(type) {
			case *appsv1.Deployment:
				hard = x.Spec.Template.Spec.TopologySpreadConstraints[0].WhenUnsatisfiable == corev1.DoNotSchedule
			case *appsv1.StatefulSet:
				hard = x.Spec.Template.Spec.TopologySpreadConstraints[0].WhenUnsatisfiable == corev1.DoNotSchedule
			}
		}
		if hard != wantHard {
			t.Errorf("prod %s: hard zone spread %v, want %v", svc, hard, wantHard)
		}
	}
}

// The Go defaults of the probes a web service gets without declaring them
// are the schema's documented defaults (#Probes).
func TestProbeTimingIsTheSchemas(t *testing.T) {
	insts := load.Instances([]string{"./schemas"}, &load.Config{Dir: "../../.."})
	v := cuecontext.New().BuildInstance(insts[0])
	if err := v.Err(); err != nil {
		t.Fatal(err)
	}
	probes := v.LookupPath(cue.ParsePath("#Probes")).Unify(v.Context().CompileString(`{liveness: exec: ["x"], readiness: exec: ["x"]}`))
	var got model.Probes
	if err := probes.Decode(&got); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct{ schema, golang model.Probe }{
		"liveness":  {*got.Liveness, kustomize.LivenessTiming},
		"readiness": {*got.Readiness, kustomize.ReadinessTiming},
	} {
		s, g := c.schema, c.golang
		if s.PeriodSeconds != g.PeriodSeconds || s.TimeoutSeconds != g.TimeoutSeconds || s.FailureThreshold != g.FailureThreshold {
			t.Errorf("%s: schema defaults %+v, Go defaults %+v", name, s, g)
		}
	}
}
