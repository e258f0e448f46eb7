// Package monitors emits, for every environment where the Datadog add-on
// runs with an application key, the Datadog Operator's objects for the
// services' service level objectives (#Service.slo):
//
//	environments/<env>/monitors/kustomization.yaml
//	environments/<env>/monitors/slos.yaml      DatadogSLO per objective
//	environments/<env>/monitors/monitors.yaml  DatadogMonitor per objective
//
// All in the Datadog add-on's namespace (the bundled operator's), deployed
// by the Argo CD Application "datadog-monitors" in the wave after the
// Datadog chart, which installs their CRDs (internal/emit/argocd).
//
// The objectives are measured with APM trace metrics under the unified
// service tags the workloads carry (env:<env>, service:<service>):
// trace.<operation>.hits and .errors for availability, the
// trace.<operation> distribution for latency. The objects are small local
// structs; tests validate them against the upstream CRDs of the pinned
// datadog-operator module.
package monitors

import (
	"fmt"
	"math"
	"path"
	"strconv"
	"strings"

	"github.com/idpgen/idpgen/internal/model"
	"github.com/idpgen/idpgen/internal/tree"
)

// Emitter writes the SLOs and monitors.
type Emitter struct{}

// New returns the emitter.
func New() Emitter { return Emitter{} }

// Name identifies the emitter in errors.
func (Emitter) Name() string { return "monitors" }

// DirName is the directory below environments/<env>/.
const DirName = "monitors"

// Dir is where an environment's SLOs and monitors live.
func Dir(env string) string { return path.Join("environments", env, DirName) }

// Files of the directory.
const (
	SLOsFile     = "slos.yaml"
	MonitorsFile = "monitors.yaml"
)

const apiVersion = "datadoghq.com/v1alpha1"

// RequiredTag is the tag the operator adds to every monitor and SLO it
// manages when it is missing (by updating the object): written here, so
// that the object Argo CD applies is already what the operator wants and
// self-heal never fights it.
const RequiredTag = "generated:kubernetes"

type (
	Meta struct {
		Name      string            `json:"name"`
		Namespace string            `json:"namespace"`
		Labels    map[string]string `json:"labels,omitempty"`
	}
	// DatadogMonitor is datadoghq.com/v1alpha1 DatadogMonitor.
	DatadogMonitor struct {
		APIVersion string      `json:"apiVersion"`
		Kind       string      `json:"kind"`
		Metadata   Meta        `json:"metadata"`
		Spec       MonitorSpec `json:"spec"`
	}
	MonitorSpec struct {
		Name     string         `json:"name"`
		Type     string         `json:"type"`
		Query    string         `json:"query"`
		Message  string         `json:"message"`
		Priority int            `json:"priority"`
		Tags     []string       `json:"tags"`
		Options  MonitorOptions `json:"options"`
	}
	MonitorOptions struct {
		Thresholds       Thresholds `json:"thresholds"`
		IncludeTags      bool       `json:"includeTags"`
		NotifyNoData     bool       `json:"notifyNoData"`
		RenotifyInterval int        `json:"renotifyInterval,omitempty"`
	}
	Thresholds struct {
		Critical string `json:"critical"`
		Warning  string `json:"warning,omitempty"`
	}
	// DatadogSLO is datadoghq.com/v1alpha1 DatadogSLO.
	DatadogSLO struct {
		APIVersion string  `json:"apiVersion"`
		Kind       string  `json:"kind"`
		Metadata   Meta    `json:"metadata"`
		Spec       SLOSpec `json:"spec"`
	}
	SLOSpec struct {
		Name            string     `json:"name"`
		Description     string     `json:"description"`
		Type            string     `json:"type"`
		Query           *SLOQuery  `json:"query,omitempty"`
		TimeSlice       *TimeSlice `json:"timeSlice,omitempty"`
		TargetThreshold string     `json:"targetThreshold"`
		Timeframe       string     `json:"timeframe"`
		Tags            []string   `json:"tags"`
	}
	SLOQuery struct {
		Numerator   string `json:"numerator"`
		Denominator string `json:"denominator"`
	}
	TimeSlice struct {
		Query      string `json:"query"`
		Comparator string `json:"comparator"`
		Threshold  string `json:"threshold"`
	}
)

// Thresholds by tier. Availability monitors alert on the error rate over
// the last hour as a multiple of the error budget (100 - availability):
// the burn rate. In prod, 14.4 (2% of a 30-day budget gone in an hour) is
// critical and 6 a warning (the multi-window alerting of Google's SRE
// workbook, reduced to one window); nonprod, with little and bursty
// traffic, alerts only on 36 (critical) and 14.4 (warning). A rate is
// never above 1, so a threshold is capped there (">= 1": every request
// failed). Latency monitors compare the p99 of the last 10 minutes with
// the objective: prod warns at 80% and is critical at 100%, nonprod warns
// at 100% and is critical at 200%.
type tierThresholds struct {
	burnCritical, burnWarning       float64
	latencyCritical, latencyWarning float64
	priority                        int
	renotifyMinutes                 int
}

// Thresholds returns env's tier thresholds.
func thresholdsFor(env *model.Environment) tierThresholds {
	if env.Prod() {
		return tierThresholds{burnCritical: 14.4, burnWarning: 6, latencyCritical: 1, latencyWarning: 0.8, priority: 2, renotifyMinutes: 60}
	}
	return tierThresholds{burnCritical: 36, burnWarning: 14.4, latencyCritical: 2, latencyWarning: 1, priority: 4}
}

// num formats a threshold: at most 6 decimals, no trailing zeros, the
// same text in the query and in options.thresholds.
func num(x float64) string {
	return strconv.FormatFloat(math.Round(x*1e6)/1e6, 'f', -1, 64)
}

// Objects are env's SLOs and monitors, by service name; nil where the
// operator does not run (no Datadog or no application key).
func Objects(p *model.Platform, env *model.Environment) (slos []DatadogSLO, monitors []DatadogMonitor) {
	dd := p.Addons.Datadog
	if !dd.In(env.Name) || dd.AppKey == nil {
		return nil, nil
	}
	tt := thresholdsFor(env)
	for _, svc := range p.ServiceList {
		if !svc.Enabled(env.Name) {
			continue
		}
		slo, ok := svc.SLOIn(env)
		if !ok {
			continue
		}
		op := svc.Operation(slo)
		if op == "" {
			continue // validate reports it
		}
		scope := fmt.Sprintf("{env:%s,service:%s}", env.Name, svc.Name)
		tags := []string{"env:" + env.Name, "service:" + svc.Name, "team:" + svc.Team, "platform:" + p.Name, "managed-by:idpgen", RequiredTag}
		meta := func(name string) Meta {
			return Meta{Name: name, Namespace: dd.Namespace, Labels: map[string]string{
				"app.kubernetes.io/managed-by": "idpgen",
				"app.kubernetes.io/part-of":    p.Name,
				"app.kubernetes.io/instance":   svc.Name,
				"idpgen.dev/team":              svc.Team,
				"idpgen.dev/environment":       env.Name,
			}}
		}
		var handles string
		if t := p.Teams[svc.Team]; t != nil {
			handles = strings.Join(t.Notify.Handles(env), " ")
		}
		title := func(what string) string { return fmt.Sprintf("[%s] %s %s (%s)", p.Name, svc.Name, what, env.Name) }
		if slo.Availability != nil {
			a := *slo.Availability
			budget := (100 - a) / 100
			hits := fmt.Sprintf("sum:trace.%s.hits%s.as_count()", op, scope)
			errs := fmt.Sprintf("sum:trace.%s.errors%s.as_count()", op, scope)
			slos = append(slos, DatadogSLO{APIVersion: apiVersion, Kind: "DatadogSLO", Metadata: meta(svc.Name + "-availability"),
				Spec: SLOSpec{
					Name:            title("availability"),
					Description:     fmt.Sprintf("%s%% of %s requests of %s succeed over %s (team %s).", num(a), op, svc.Name, slo.Window, svc.Team),
					Type:            "metric",
					Query:           &SLOQuery{Numerator: hits + " - " + errs, Denominator: hits},
					TargetThreshold: num(a), Timeframe: slo.Window, Tags: tags,
				}})
			crit, warn := min(tt.burnCritical*budget, 1), min(tt.burnWarning*budget, 1)
			th := Thresholds{Critical: num(crit)}
			if warn < crit {
				th.Warning = num(warn)
			}
			monitors = append(monitors, DatadogMonitor{APIVersion: apiVersion, Kind: "DatadogMonitor", Metadata: meta(svc.Name + "-availability"),
				Spec: MonitorSpec{
					Name:  title("error budget burn"),
					Type:  "query alert",
					Query: fmt.Sprintf("sum(last_1h):( %s / %s ) >= %s", errs, hits, th.Critical),
					Message: fmt.Sprintf("%s in %s is failing {{value}} of its %s requests over the last hour, burning the %s%% availability objective's %s error budget (warning at %s, critical at %s). Owner: team %s. %s",
						svc.Name, env.Name, op, num(a), slo.Window, orNone(th.Warning), th.Critical, svc.Team, handles),
					Priority: tt.priority, Tags: tags,
					Options: MonitorOptions{Thresholds: th, IncludeTags: true, RenotifyInterval: tt.renotifyMinutes},
				}})
		}
		if slo.LatencyP99Ms != nil {
			sec := float64(*slo.LatencyP99Ms) / 1000
			p99 := fmt.Sprintf("p99:trace.%s%s", op, scope)
			slos = append(slos, DatadogSLO{APIVersion: apiVersion, Kind: "DatadogSLO", Metadata: meta(svc.Name + "-latency"),
				Spec: SLOSpec{
					Name:            title("p99 latency"),
					Description:     fmt.Sprintf("The p99 latency of %s requests of %s is at most %d ms in %s%% of five-minute slices over %s (team %s).", op, svc.Name, *slo.LatencyP99Ms, num(slo.LatencyTarget), slo.Window, svc.Team),
					Type:            "time_slice",
					TimeSlice:       &TimeSlice{Query: p99, Comparator: "<=", Threshold: num(sec)},
					TargetThreshold: num(slo.LatencyTarget), Timeframe: slo.Window, Tags: tags,
				}})
			th := Thresholds{Critical: num(sec * tt.latencyCritical), Warning: num(sec * tt.latencyWarning)}
			monitors = append(monitors, DatadogMonitor{APIVersion: apiVersion, Kind: "DatadogMonitor", Metadata: meta(svc.Name + "-latency"),
				Spec: MonitorSpec{
					Name:  title("p99 latency"),
					Type:  "query alert",
					Query: fmt.Sprintf("percentile(last_10m):%s > %s", p99, th.Critical),
					Message: fmt.Sprintf("%s in %s answers %s requests with a p99 of {{value}} s over the last 10 minutes; the objective is %d ms (warning above %s s, critical above %s s). Owner: team %s. %s",
						svc.Name, env.Name, op, *slo.LatencyP99Ms, th.Warning, th.Critical, svc.Team, handles),
					Priority: tt.priority, Tags: tags,
					Options: MonitorOptions{Thresholds: th, IncludeTags: true, RenotifyInterval: tt.renotifyMinutes},
				}})
		}
	}
	return slos, monitors
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// Emit writes every environment's directory.
func (e Emitter) Emit(p *model.Platform, out *tree.Tree) error {
	for _, env := range p.EnvironmentList {
		slos, monitors := Objects(p, env)
		if len(slos) == 0 {
			continue
		}
		var s, m []any
		for _, o := range slos {
			s = append(s, o)
		}
		for _, o := range monitors {
			m = append(m, o)
		}
		k := map[string]any{"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "resources": []string{MonitorsFile, SLOsFile}}
		for _, f := range []struct {
			name string
			objs []any
		}{{"kustomization.yaml", []any{k}}, {MonitorsFile, m}, {SLOsFile, s}} {
			data, err := tree.YAML(f.objs...)
			if err != nil {
				return fmt.Errorf("%s: %s: %w", e.Name(), f.name, err)
			}
			if err := out.Add(e.Name(), path.Join(Dir(env.Name), f.name), data); err != nil {
				return err
			}
		}
	}
	return nil
}
