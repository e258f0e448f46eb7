package kustomize_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/idpgen/idpgen/internal/emit/kustomize"
)

// Every workload built where Datadog runs carries the unified service tags
// on itself and its pod template, the tracer variables read those labels
// through the downward API, and each metrics port (only those) has an
// OpenMetrics Autodiscovery check; where Datadog does not run, none of it.
func TestDatadogUnifiedServiceTagging(t *testing.T) {
	p, out := renderExample(t)
	checkedOn, checkedOff, scraped := 0, 0, 0
	for _, env := range p.EnvironmentList {
		on := p.Addons.Datadog.In(env.Name)
		for _, svc := range p.ServiceList {
			if !svc.Enabled(env.Name) {
				continue
			}
			for _, obj := range build(t, out, kustomize.OverlayDir(env.Name, svc.Name)) {
				var meta metav1.ObjectMeta
				var pod *corev1.PodTemplateSpec
				switch o := decodeStrict(t, obj).(type) {
				case *appsv1.Deployment:
					meta, pod = o.ObjectMeta, &o.Spec.Template
				case *appsv1.StatefulSet:
					meta, pod = o.ObjectMeta, &o.Spec.Template
				default:
					continue
				}
				where := fmt.Sprintf("%s/%s", env.Name, svc.Name)
				if !on {
					for k := range pod.Labels {
						if strings.HasPrefix(k, "tags.datadoghq.com/") {
							t.Errorf("%s: %s without Datadog", where, k)
						}
					}
					checkedOff++
					continue
				}
				want := map[string]string{kustomize.LabelDatadogEnv: env.Name, kustomize.LabelDatadogService: svc.Name}
				if v := meta.Labels[kustomize.LabelVersion]; v != "" {
					want[kustomize.LabelDatadogVersion] = v
				}
				for k, v := range want {
					if meta.Labels[k] != v || pod.Labels[k] != v {
						t.Errorf("%s: label %s = %q on the workload, %q on the pod template, want %q", where, k, meta.Labels[k], pod.Labels[k], v)
					}
				}
				vars := map[string]string{}
				for _, c := range pod.Spec.Containers {
					if c.Name != svc.Name {
						continue
					}
					for _, e := range c.Env {
						if strings.HasPrefix(e.Name, "DD_") && e.ValueFrom != nil && e.ValueFrom.FieldRef != nil {
							vars[e.Name] = e.ValueFrom.FieldRef.FieldPath
						}
					}
				}
				for name, label := range map[string]string{"DD_ENV": kustomize.LabelDatadogEnv, "DD_SERVICE": kustomize.LabelDatadogService, "DD_VERSION": kustomize.LabelDatadogVersion} {
					_, labelled := want[label]
					if got := vars[name]; labelled != (got == "metadata.labels['"+label+"']") {
						t.Errorf("%s: %s from %q (label set: %v)", where, name, got, labelled)
					}
				}
				var ports []string
				for _, port := range svc.Ports {
					if port.Metrics {
						ports = append(ports, fmt.Sprintf("http://%%%%host%%%%:%d/metrics", port.Port))
					}
				}
				ann, ok := pod.Annotations["ad.datadoghq.com/"+svc.Name+".checks"]
				if ok != (len(ports) > 0) {
					t.Errorf("%s: checks annotation %q for metrics ports %v", where, ann, ports)
				}
				if ok {
					var checks struct {
						OpenMetrics struct {
							Instances []struct {
								Endpoint string `json:"openmetrics_endpoint"`
							} `json:"instances"`
						} `json:"openmetrics"`
					}
					if err := json.Unmarshal([]byte(ann), &checks); err != nil {
						t.Fatalf("%s: %v", where, err)
					}
					var got []string
					for _, in := range checks.OpenMetrics.Instances {
						got = append(got, in.Endpoint)
					}
					if strings.Join(got, " ") != strings.Join(ports, " ") {
						t.Errorf("%s: scrapes %v, want %v", where, got, ports)
					}
					scraped++
				}
				checkedOn++
			}
		}
	}
	if checkedOn == 0 || scraped == 0 {
		t.Fatalf("checked %d workloads with Datadog (%d scraped), %d without: the example proves nothing", checkedOn, scraped, checkedOff)
	}
}
