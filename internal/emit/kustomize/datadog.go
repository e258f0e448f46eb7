package kustomize

import (
	"encoding/json"
	"fmt"

	kusttypes "sigs.k8s.io/kustomize/api/types"

	"github.com/idpgen/idpgen/internal/model"
)

// Datadog unified service tagging labels.
const (
	LabelDatadogEnv     = "tags.datadoghq.com/env"
	LabelDatadogService = "tags.datadoghq.com/service"
	LabelDatadogVersion = "tags.datadoghq.com/version"
)

// datadogLabels adds unified service tagging to an overlay's labels where
// the Datadog agent runs: the overlay's label transformer puts them on
// every object and the pod template (never on selectors, which must not
// change with a version). A digest-pinned image has no version label, so
// no version tag.
func datadogLabels(p *model.Platform, svc *model.Service, env *model.Environment, pairs map[string]string) {
	if !p.Addons.Datadog.In(env.Name) {
		return
	}
	pairs[LabelDatadogEnv] = env.Name
	pairs[LabelDatadogService] = svc.Name
	if v, ok := pairs[LabelVersion]; ok {
		pairs[LabelDatadogVersion] = v
	}
}

// datadogPatch is an inline strategic-merge patch (no extra file): the
// tracer's DD_ENV, DD_SERVICE and DD_VERSION from those labels through the
// downward API, so they always agree with the tags, DD_AGENT_HOST from the
// pod's status.hostIP, and an Autodiscovery OpenMetrics check per port
// declared metrics: true.
//
// DD_AGENT_HOST, not the APM socket: the agent's values
// (internal/emit/addons) open the trace agent's host port
// (apm.portEnabled, traffic.APMPort) and turn the socket off, because
// mounting the socket's hostPath directory is refused by the restricted
// Pod Security Standard the team namespaces enforce. The service's
// NetworkPolicy allows that port (kustomize/traffic.go).
func datadogPatch(p *model.Platform, svc *model.Service, env *model.Environment, kind string, pairs map[string]string) (*kusttypes.Patch, error) {
	if !p.Addons.Datadog.In(env.Name) {
		return nil, nil
	}
	fromLabel := func(name, label string) map[string]any {
		return map[string]any{"name": name, "valueFrom": map[string]any{"fieldRef": map[string]any{"fieldPath": fmt.Sprintf("metadata.labels['%s']", label)}}}
	}
	vars := []any{fromLabel("DD_ENV", LabelDatadogEnv), fromLabel("DD_SERVICE", LabelDatadogService)}
	if _, ok := pairs[LabelDatadogVersion]; ok {
		vars = append(vars, fromLabel("DD_VERSION", LabelDatadogVersion))
	}
	vars = append(vars, map[string]any{"name": "DD_AGENT_HOST", "valueFrom": map[string]any{"fieldRef": map[string]any{"fieldPath": "status.hostIP"}}})
	template := map[string]any{"spec": map[string]any{"containers": []any{map[string]any{"name": svc.Name, "env": vars}}}}
	if checks := openMetricsChecks(svc); checks != "" {
		template["metadata"] = map[string]any{"annotations": map[string]any{"ad.datadoghq.com/" + svc.Name + ".checks": checks}}
	}
	patch, err := json.Marshal(map[string]any{
		"apiVersion": "apps/v1",
		"kind":       kind,
		"metadata":   map[string]any{"name": svc.Name, "namespace": svc.Namespace},
		"spec":       map[string]any{"template": template},
	})
	if err != nil {
		return nil, err
	}
	return &kusttypes.Patch{Patch: string(patch)}, nil
}

// openMetricsChecks is the Autodiscovery annotation value scraping each
// metrics port's /metrics ("" when none is declared).
func openMetricsChecks(svc *model.Service) string {
	var instances []any
	for _, port := range svc.Ports {
		if port.Metrics {
			instances = append(instances, map[string]any{
				"openmetrics_endpoint": fmt.Sprintf("http://%%%%host%%%%:%d/metrics", port.Port),
				"namespace":            svc.Name,
				"metrics":              []string{".*"},
			})
		}
	}
	if len(instances) == 0 {
		return ""
	}
	data, _ := json.Marshal(map[string]any{"openmetrics": map[string]any{"init_config": map[string]any{}, "instances": instances}})
	return string(data)
}
