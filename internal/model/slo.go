package model

import "strings"

// SLO is a service's service level objectives (schemas/slo.cue).
type SLO struct {
	Availability  *float64 `json:"availability,omitempty"` // percent
	LatencyP99Ms  *int     `json:"latencyP99Ms,omitempty"`
	LatencyTarget float64  `json:"latencyTarget"` // percent of slices
	Window        string   `json:"window"`
	Operation     string   `json:"operation,omitempty"`
}

// SLOOverride changes an SLO in one environment.
type SLOOverride struct {
	Availability  *float64 `json:"availability,omitempty"`
	LatencyP99Ms  *int     `json:"latencyP99Ms,omitempty"`
	LatencyTarget *float64 `json:"latencyTarget,omitempty"`
	Window        string   `json:"window,omitempty"`
}

// Notify holds a team's Datadog notification handles per tier.
type Notify struct {
	Prod    []string `json:"prod"`
	Nonprod []string `json:"nonprod"`
}

// Handles are the handles of env's tier.
func (n *Notify) Handles(env *Environment) []string {
	if n == nil {
		return nil
	}
	if env.Prod() {
		return n.Prod
	}
	return n.Nonprod
}

// Defaults of an SLO an override declares alone (the schema's).
const (
	SLODefaultWindow        = "30d"
	SLODefaultLatencyTarget = 99.0
)

// SLOIn returns the service's objectives in env (the override's fields
// over the service's) and whether it has any.
func (s *Service) SLOIn(env *Environment) (SLO, bool) {
	var out SLO
	if s.SLO != nil {
		out = *s.SLO
	} else {
		out = SLO{LatencyTarget: SLODefaultLatencyTarget, Window: SLODefaultWindow}
	}
	if o, ok := s.Overrides[env.Name]; ok && o.SLO != nil {
		if o.SLO.Availability != nil {
			out.Availability = o.SLO.Availability
		}
		if o.SLO.LatencyP99Ms != nil {
			out.LatencyP99Ms = o.SLO.LatencyP99Ms
		}
		if o.SLO.LatencyTarget != nil {
			out.LatencyTarget = *o.SLO.LatencyTarget
		}
		if o.SLO.Window != "" {
			out.Window = o.SLO.Window
		}
	}
	return out, out.Availability != nil || out.LatencyP99Ms != nil
}

// DeclaresSLO reports whether the service declares objectives anywhere
// (on itself or in an override).
func (s *Service) DeclaresSLO() bool {
	if s.SLO != nil && (s.SLO.Availability != nil || s.SLO.LatencyP99Ms != nil) {
		return true
	}
	for _, o := range s.Overrides {
		if o.SLO != nil && (o.SLO.Availability != nil || o.SLO.LatencyP99Ms != nil) {
			return true
		}
	}
	return false
}

// Span names of the request spans Datadog's tracers report for HTTP
// servers (Go net/http and most integrations) and gRPC servers.
const (
	OperationHTTP = "http.request"
	OperationGRPC = "grpc.server"
)

// SpeaksGRPC reports whether the port serves gRPC: its appProtocol says
// so, or, without one, its name ("grpc", "grpc-<suffix>"), as Istio reads
// it.
func (p Port) SpeaksGRPC() bool {
	if p.AppProtocol != "" {
		return p.AppProtocol == "grpc"
	}
	return p.Name == "grpc" || strings.HasPrefix(p.Name, "grpc-")
}

// Operation is the span name whose trace metrics measure the service's
// objectives: the SLO's operation, else the first port's protocol (HTTP
// first); "" when the service has no metric source.
func (s *Service) Operation(slo SLO) string {
	if slo.Operation != "" {
		return slo.Operation
	}
	for _, p := range s.Ports {
		if p.SpeaksHTTP() {
			return OperationHTTP
		}
	}
	for _, p := range s.Ports {
		if p.SpeaksGRPC() {
			return OperationGRPC
		}
	}
	return ""
}
