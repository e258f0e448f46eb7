package model

// Egress is one external destination of a service: exactly one of CIDR and
// Host, and the TCP ports opened to it.
type Egress struct {
	CIDR  string  `json:"cidr,omitempty"`
	Host  string  `json:"host,omitempty"`
	Ports []int32 `json:"ports"`
}
