package monitors_test

import (
	"bytes"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/idpgen/idpgen/internal/crdschema"
	"github.com/idpgen/idpgen/internal/emit/monitors"
	"github.com/idpgen/idpgen/internal/golden"
	"github.com/idpgen/idpgen/internal/model"
	"github.com/idpgen/idpgen/internal/render"
	"github.com/idpgen/idpgen/internal/tree"
)

func example(t *testing.T) *model.Platform {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	p, err := render.Load(filepath.Join(filepath.Dir(file), "..", "..", "..", "platforms", "example"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func emit(t *testing.T, p *model.Platform) *tree.Tree {
	t.Helper()
	tr, err := render.Model(p, []render.Emitter{monitors.New()})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// crds loads the DatadogMonitor and DatadogSLO CRDs of the pinned
// datadog-operator module (the operator version the Datadog chart runs).
func crds(t *testing.T) *crdschema.Set {
	t.Helper()
	dir, err := crdschema.ModuleDir(crdschema.DatadogOperator)
	if err != nil {
		t.Fatal(err)
	}
	bases := filepath.Join(dir, "config", "crd", "bases", "v1")
	set, err := crdschema.Load(filepath.Join(bases, "datadoghq.com_datadogmonitors.yaml"), filepath.Join(bases, "datadoghq.com_datadogslos.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// Every rendered file of the example is the golden one, and every object
// in it validates strictly against the upstream CRDs.
func TestExample(t *testing.T) {
	p := example(t)
	out := emit(t, p)
	set := crds(t)
	var all bytes.Buffer
	kinds := map[string]int{}
	for _, f := range out.Files() {
		all.WriteString("-- " + f.Path + " --\n")
		all.Write(f.Data)
		if strings.HasSuffix(f.Path, "kustomization.yaml") {
			continue
		}
		n, err := set.ValidateYAML(f.Data)
		if err != nil {
			t.Errorf("%s: %v", f.Path, err)
		}
		kinds[filepath.Base(f.Path)] += n
	}
	if kinds[monitors.MonitorsFile] == 0 || kinds[monitors.SLOsFile] == 0 {
		t.Fatalf("validated %v: the example renders no monitors or SLOs", kinds)
	}
	golden.Check(t, filepath.Join("testdata", "example.txtar"), all.Bytes())
}

// What the operator itself refuses (datadog-operator api/datadoghq/v1alpha1
// IsValidDatadogSLO and IsValidDatadogMonitor; not expressed in the CRD):
// checked on every object of the example, so a change of the emitter that
// the operator would reject fails here.
func TestOperatorRules(t *testing.T) {
	p := example(t)
	for _, env := range p.EnvironmentList {
		slos, mons := monitors.Objects(p, env)
		for _, s := range slos {
			target, err := strconv.ParseFloat(s.Spec.TargetThreshold, 64)
			if err != nil || target <= 0 || target >= 100 {
				t.Errorf("%s/%s: targetThreshold %q not in (0, 100)", env.Name, s.Metadata.Name, s.Spec.TargetThreshold)
			}
			switch s.Spec.Timeframe {
			case "7d", "30d", "90d":
			default:
				t.Errorf("%s/%s: timeframe %q", env.Name, s.Metadata.Name, s.Spec.Timeframe)
			}
			if (s.Spec.Type == "metric") != (s.Spec.Query != nil) || (s.Spec.Type == "time_slice") != (s.Spec.TimeSlice != nil) {
				t.Errorf("%s/%s: type %q with query %v, timeSlice %v", env.Name, s.Metadata.Name, s.Spec.Type, s.Spec.Query, s.Spec.TimeSlice)
			}
			if !hasTag(s.Spec.Tags, monitors.RequiredTag) {
				t.Errorf("%s/%s: no %s tag: the operator would rewrite the object", env.Name, s.Metadata.Name, monitors.RequiredTag)
			}
		}
		for _, m := range mons {
			if m.Spec.Name == "" || m.Spec.Query == "" || m.Spec.Message == "" || m.Spec.Type == "" {
				t.Errorf("%s/%s: empty name, query, message or type: %+v", env.Name, m.Metadata.Name, m.Spec)
			}
			// Datadog requires the query's threshold to be the critical one.
			if !strings.HasSuffix(m.Spec.Query, " "+m.Spec.Options.Thresholds.Critical) {
				t.Errorf("%s/%s: query %q does not end with the critical threshold %s", env.Name, m.Metadata.Name, m.Spec.Query, m.Spec.Options.Thresholds.Critical)
			}
			if w := m.Spec.Options.Thresholds.Warning; w != "" {
				wf, _ := strconv.ParseFloat(w, 64)
				cf, _ := strconv.ParseFloat(m.Spec.Options.Thresholds.Critical, 64)
				if wf >= cf {
					t.Errorf("%s/%s: warning %s not below critical %s", env.Name, m.Metadata.Name, w, m.Spec.Options.Thresholds.Critical)
				}
			}
			if !hasTag(m.Spec.Tags, monitors.RequiredTag) {
				t.Errorf("%s/%s: no %s tag", env.Name, m.Metadata.Name, monitors.RequiredTag)
			}
		}
	}
}

func hasTag(tags []string, tag string) bool {
	for _, t := range tags {
		if t == tag {
			return true
		}
	}
	return false
}

func f(v float64) *float64 { return &v }
func i(v int) *int         { return &v }

// The model reaches the objects: per-environment overrides, tier
// thresholds, the team's handles per tier, the operation from the ports,
// and nothing without Datadog or an application key.
func TestFromModel(t *testing.T) {
	p := example(t)
	checkout := p.Services["checkout"]
	byName := func(env string) (map[string]monitors.DatadogSLO, map[string]monitors.DatadogMonitor) {
		slos, mons := monitors.Objects(p, p.Environments[env])
		s, m := map[string]monitors.DatadogSLO{}, map[string]monitors.DatadogMonitor{}
		for _, o := range slos {
			s[o.Metadata.Name] = o
		}
		for _, o := range mons {
			m[o.Metadata.Name] = o
		}
		return s, m
	}
	slos, mons := byName("prod")
	if got := slos["checkout-availability"].Spec.TargetThreshold; got != "99.9" {
		t.Errorf("prod availability target %q, want 99.9", got)
	}
	if got := mons["checkout-availability"].Spec.Options.Thresholds; got.Critical != "0.0144" || got.Warning != "0.006" {
		t.Errorf("prod burn thresholds %+v, want critical 14.4x and warning 6x a 0.1%% budget", got)
	}
	if got := mons["checkout-latency"].Spec.Options.Thresholds; got.Critical != "0.3" || got.Warning != "0.24" {
		t.Errorf("prod latency thresholds %+v", got)
	}
	if msg := mons["checkout-latency"].Spec.Message; !strings.Contains(msg, "@pagerduty-payments") {
		t.Errorf("prod message without the pager: %q", msg)
	}
	if q := slos["checkout-latency"].Spec.TimeSlice; q == nil || q.Query != "p99:trace.http.request{env:prod,service:checkout}" || q.Threshold != "0.3" {
		t.Errorf("prod latency SLO %+v", q)
	}
	// dev overrides checkout's objectives; nonprod thresholds and handles.
	slos, mons = byName("dev")
	if got := slos["checkout-availability"].Spec.TargetThreshold; got != "99" {
		t.Errorf("dev availability target %q, want the override's 99", got)
	}
	if got := mons["checkout-availability"].Spec.Options.Thresholds; got.Critical != "0.36" || got.Warning != "0.144" {
		t.Errorf("dev burn thresholds %+v, want 36x and 14.4x a 1%% budget", got)
	}
	if got := mons["checkout-latency"].Spec.Options.Thresholds; got.Critical != "1.6" || got.Warning != "0.8" {
		t.Errorf("dev latency thresholds %+v, want 2x and 1x the override's 800 ms", got)
	}
	if msg := mons["checkout-latency"].Spec.Message; strings.Contains(msg, "@pagerduty") || !strings.Contains(msg, "@slack-payments-alerts") {
		t.Errorf("dev message: %q", msg)
	}
	if got := mons["storefront-availability"].Spec.Priority; got != 4 {
		t.Errorf("nonprod priority %d", got)
	}
	if got := slos["storefront-availability"].Spec.Timeframe; got != "7d" {
		t.Errorf("storefront window %q", got)
	}
	// A budget so large that the burn thresholds cap at 1: no warning
	// equal to critical.
	checkout.Overrides["staging"] = model.Override{SLO: &model.SLOOverride{Availability: f(95)}}
	slos, mons = byName("staging")
	if got := mons["checkout-availability"].Spec.Options.Thresholds; got.Critical != "1" || got.Warning != "0.72" {
		t.Errorf("capped thresholds %+v", got)
	}
	// A gRPC service's spans, and an explicit operation.
	checkout.Ports = []model.Port{{Name: "grpc", Port: 9000}}
	checkout.SLO.LatencyP99Ms = i(100)
	_, mons = byName("prod")
	if q := mons["checkout-latency"].Spec.Query; !strings.Contains(q, "trace.grpc.server{") {
		t.Errorf("gRPC query %q", q)
	}
	checkout.SLO.Operation = "servlet.request"
	_, mons = byName("prod")
	if q := mons["checkout-latency"].Spec.Query; !strings.Contains(q, "trace.servlet.request{") {
		t.Errorf("operation query %q", q)
	}
	// Without the application key, the operator manages nothing.
	p.Addons.Datadog.AppKey = nil
	if slos, mons := monitors.Objects(p, p.Environments["prod"]); len(slos)+len(mons) != 0 {
		t.Errorf("objects without an application key: %d, %d", len(slos), len(mons))
	}
}
