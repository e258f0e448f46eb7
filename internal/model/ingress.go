package model

import "strings"

// Ingress configures an environment's load balancers for public services.
type Ingress struct {
	// Certificates are ACM certificate ARNs, presented by every ingress load
	// balancer of the environment (SNI picks one; the first is the default).
	Certificates []string `json:"certificates"`
}

// SpeaksHTTP reports whether the port serves HTTP/1.1 or cleartext HTTP/2:
// its appProtocol says so, or, without one, its name does the way Istio's
// protocol selection reads it ("http", "http-web", "http2", "http2-api").
func (p Port) SpeaksHTTP() bool {
	switch p.AppProtocol {
	case "http", "http2":
		return true
	case "":
		for _, prefix := range []string{"http", "http2"} {
			if p.Name == prefix || strings.HasPrefix(p.Name, prefix+"-") {
				return true
			}
		}
	}
	return false
}

// Port returns the service's port named name.
func (s *Service) Port(name string) (Port, bool) {
	for _, p := range s.Ports {
		if p.Name == name {
			return p, true
		}
	}
	return Port{}, false
}
