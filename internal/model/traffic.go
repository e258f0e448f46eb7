package model

// Egress is one external destination of a service: exactly one of CIDR and
// Host, and the TCP ports opened to it.
type Egress struct {
	CIDR  string  `json:"cidr,omitempty"`
	Host  string  `json:"host,omitempty"`
	Ports []int32 `json:"ports"`
}

// Resilience is the traffic policy the ingress gateway applies to a public
// service: connection limits and outlier detection. Nil fields are unset.
type Resilience struct {
	MaxConnections       *int32 `json:"maxConnections,omitempty"`
	MaxPendingRequests   *int32 `json:"maxPendingRequests,omitempty"`
	Consecutive5xxErrors *int32 `json:"consecutive5xxErrors,omitempty"`
	EjectionSeconds      int32  `json:"ejectionSeconds"`
}
