package kustomize_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/idpgen/idpgen/internal/emit/kustomize"
	"github.com/idpgen/idpgen/internal/traffic"
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
				if got := vars["DD_AGENT_HOST"]; got != "status.hostIP" {
					t.Errorf("%s: DD_AGENT_HOST from %q, want status.hostIP", where, got)
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

// Where Datadog runs, every service's NetworkPolicy lets its tracer reach
// the trace agent's host port (DD_AGENT_HOST is the node's IP, inside the
// VPC); where it does not, the port stays closed.
func TestDatadogAPMEgress(t *testing.T) {
	p, out := renderExample(t)
	checked := map[bool]int{}
	for _, env := range p.EnvironmentList {
		on := p.Addons.Datadog.In(env.Name)
		for _, svc := range p.ServiceList {
			if !svc.Enabled(env.Name) {
				continue
			}
			for _, obj := range build(t, out, kustomize.OverlayDir(env.Name, svc.Name)) {
				np, ok := decodeStrict(t, obj).(*networkingv1.NetworkPolicy)
				if !ok {
					continue
				}
				found := false
				for _, r := range np.Spec.Egress {
					for _, port := range r.Ports {
						if port.Port != nil && port.Port.IntValue() == traffic.APMPort {
							if len(r.To) != 1 || r.To[0].IPBlock == nil || r.To[0].IPBlock.CIDR != env.Network.VPCCIDR {
								t.Errorf("%s/%s: APM egress to %+v, want the VPC %s", env.Name, svc.Name, r.To, env.Network.VPCCIDR)
							}
							found = true
						}
					}
				}
				if found != on {
					t.Errorf("%s/%s: APM egress %v with Datadog %v", env.Name, svc.Name, found, on)
				}
				checked[on]++
			}
		}
	}
	if checked[true] == 0 {
		t.Fatalf("no NetworkPolicy checked where Datadog runs: %v", checked)
	}
}
