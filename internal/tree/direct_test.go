package tree

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// checkDirect requires direct(v) to be what decodeJSON(json.Marshal(v))
// gives, and returns whether direct took v.
func checkDirect(t *testing.T, where string, v any) bool {
	t.Helper()
	j, err := json.Marshal(v)
	if err != nil {
		if _, ok := direct(v); ok {
			t.Errorf("%s: json.Marshal fails (%v), direct took it", where, err)
		}
		return false
	}
	want, err := decodeJSON(j)
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	got, ok := direct(v)
	if ok && !reflect.DeepEqual(got, want) {
		t.Errorf("%s: direct\n%#v\njson\n%#v", where, got, want)
	}
	return ok
}

// The kinds of Kubernetes objects a render writes, with the types that
// encode themselves (Quantity, IntOrString, Time, RawExtension) and the
// omitempty/omitzero fields set and unset.
func TestDirectMatchesJSONOnKubernetesObjects(t *testing.T) {
	two := int32(2)
	port := intstr.FromString("http")
	objs := map[string]any{
		"deployment": &appsv1.Deployment{
			TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
			ObjectMeta: metav1.ObjectMeta{Name: "api", Labels: map[string]string{"app": "api", "b": "y"}, Annotations: map[string]string{"x": "1"}},
			Spec: appsv1.DeploymentSpec{
				Replicas: &two,
				Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "api"}},
				Strategy: appsv1.DeploymentStrategy{RollingUpdate: &appsv1.RollingUpdateDeployment{MaxUnavailable: &port}},
				Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "api"}},
					Spec: corev1.PodSpec{
						Containers: []corev1.Container{{
							Name: "api", Image: "r/api:1", Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}},
							Resources: corev1.ResourceRequirements{
								Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m"), corev1.ResourceMemory: resource.MustParse("256Mi")},
								Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("1Gi")},
							},
							ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/", Port: intstr.FromInt32(8080)}}},
							Env:            []corev1.EnvVar{{Name: "A", Value: "é\u2028<&>"}, {Name: "B", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "status.hostIP"}}}},
						}},
						AutomountServiceAccountToken: new(bool),
					},
				},
			},
		},
		"statefulset": &appsv1.StatefulSet{Spec: appsv1.StatefulSetSpec{VolumeClaimTemplates: []corev1.PersistentVolumeClaim{{
			Spec: corev1.PersistentVolumeClaimSpec{Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("10Gi")}}},
		}}}},
		"hpa": &autoscalingv2.HorizontalPodAutoscaler{Spec: autoscalingv2.HorizontalPodAutoscalerSpec{MaxReplicas: 3, Metrics: []autoscalingv2.MetricSpec{{
			Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{Name: corev1.ResourceCPU, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: &two}},
		}}}},
		"cronjob": &batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{CreationTimestamp: metav1.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))}, Spec: batchv1.CronJobSpec{Schedule: "0 * * * *"}},
		"networkpolicy": &networkingv1.NetworkPolicy{Spec: networkingv1.NetworkPolicySpec{
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
			Ingress:     []networkingv1.NetworkPolicyIngressRule{{Ports: []networkingv1.NetworkPolicyPort{{Port: &port}}, From: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{}}}}},
		}},
		"service":  corev1.Service{Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromString("http")}}}},
		"raw":      runtime.RawExtension{Raw: []byte(`{"a":[1,2.5,"x"],"b":null}`)},
		"list":     []any{map[string]any{"z": 1, "a": []string{}}, nil, json.Number("12"), []byte("bytes"), [2]int{1, 2}},
		"floats":   map[string]float64{"a": 0.1, "b": 1e21, "c": 1e-7, "d": -2.5, "e": 0},
		"float32":  []float32{0.1, 3.4e38, 1e-7},
		"intkeys":  map[int]string{2: "b", 10: "a"},
		"nilmap":   map[string]int(nil),
		"rawnil":   json.RawMessage(nil),
		"number":   json.Number(""),
		"duration": metav1.Duration{Duration: 90 * time.Second},
	}
	for name, o := range objs {
		if !checkDirect(t, name, o) {
			t.Errorf("%s: direct did not take it", name)
		}
	}
	for name, o := range map[string]any{"nan": math.NaN(), "badutf8": "\xff", "chan": make(chan int)} {
		if _, ok := direct(o); ok {
			t.Errorf("%s: direct took what encoding/json cannot write the same way", name)
		}
	}
}

// Struct shapes: embedding (by value, by pointer, nil), tags, name
// conflicts resolved by depth and by tag, unexported fields, ",string",
// omitempty and omitzero with and without IsZero methods.
type (
	Inner struct {
		A string `json:"a,omitempty"`
		B int    `json:"b"`
		C string
	}
	Other struct {
		B string `json:"b"` // same depth as Inner.B, untagged conflict: both tagged → dropped
		D bool   `json:",omitempty"`
	}
	zeroer  struct{ n int }
	pzeroer struct{ N int }
	shapes  struct {
		Inner
		*Other
		X       string `json:"-"`
		Dash    string `json:"-,"`
		C       string `json:"c2"`
		private int
		Z       zeroer            `json:"z,omitzero"`
		PZ      pzeroer           `json:"pz,omitzero"`
		PtrZ    *pzeroer          `json:"ptrz,omitzero"`
		Plain   *Inner            `json:"plain,omitzero"`
		Iface   any               `json:"iface,omitempty"`
		M       map[string]*Inner `json:"m,omitempty"`
		T       time.Time         `json:"t"`
		Weird   string            `json:"we:ird"`
	}
	quoted struct {
		N int `json:"n,string"`
	}
)

func (z zeroer) IsZero() bool                 { return z.n == 1 }
func (z *pzeroer) IsZero() bool               { return z.N == 7 }
func (z zeroer) MarshalJSON() ([]byte, error) { return []byte(`{"n":1}`), nil }

func TestDirectMatchesJSONOnStructShapes(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 500 {
		s := shapes{
			Inner: Inner{A: []string{"", "a"}[r.IntN(2)], B: r.IntN(3), C: "c"},
			X:     "x", Dash: "d", C: "c2", private: 1,
			Z:  zeroer{r.IntN(2)},
			PZ: pzeroer{[]int{0, 7}[r.IntN(2)]},
			T:  time.Date(2026, 12, 2, 0, 0, r.IntN(60), 0, time.UTC),
		}
		if r.IntN(2) == 0 {
			s.Other = &Other{B: "o", D: r.IntN(2) == 0}
		}
		if r.IntN(2) == 0 {
			s.PtrZ = &pzeroer{[]int{0, 7}[r.IntN(2)]}
		}
		if r.IntN(2) == 0 {
			s.Plain = &Inner{}
		}
		switch r.IntN(3) {
		case 1:
			s.Iface = []any{1, "x", nil}
		case 2:
			s.Iface = (*Inner)(nil)
		}
		if r.IntN(2) == 0 {
			s.M = map[string]*Inner{"k": nil, "j": {B: 1}}
		}
		if !checkDirect(t, "shapes", s) || !checkDirect(t, "shapes by pointer", &s) {
			t.Fatalf("direct did not take %+v", s)
		}
	}
	if _, ok := direct(quoted{N: 1}); ok {
		t.Error(`direct took a ",string" field`)
	}
}
