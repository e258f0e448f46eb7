// Package traffic computes who may talk to whom in one environment: the
// graph every traffic output is drawn from. The NetworkPolicies and Istio
// AuthorizationPolicies (internal/emit/kustomize), `idpgen graph` and the
// property tests all read the same Graph, so the two enforcement layers and
// the picture cannot disagree. Building it is linear in services + edges.
package traffic

import (
	"net/netip"
	"slices"
	"strings"

	"github.com/idpgen/idpgen/internal/model"
)

// Graph is one environment's traffic.
type Graph struct {
	Env   *model.Environment
	Nodes []*Node // enabled services, by name

	// Mesh reports whether Istio runs in the environment (HBONE, mTLS and
	// AuthorizationPolicies); Monitoring is the namespace of the
	// monitoring agent that scrapes metrics ports, "" without one.
	Mesh       bool
	Monitoring string

	byName map[string]*Node
}

// Node is one enabled service and its edges.
type Node struct {
	Service *model.Service
	Deps    []*Node // services it calls (dependsOn), by name
	Callers []*Node // services that call it, by name
	// Scheme is the ingress gateway that reaches it ("" when not public),
	// on PublicPort.
	Scheme     string
	PublicPort *model.Port
	Metrics    []model.Port // ports the monitoring agent scrapes
	// AWS reports whether it calls AWS APIs (it has a pod identity).
	AWS bool
}

// Build computes the graph of env. A dependency on a service that is not
// deployed in env is left out (validate reports it).
func Build(p *model.Platform, env *model.Environment) *Graph {
	g := &Graph{Env: env, byName: make(map[string]*Node, len(p.ServiceList)), Mesh: p.Addons.Istio.In(env.Name)}
	if p.Addons.Datadog.In(env.Name) {
		g.Monitoring = p.Addons.Datadog.Namespace
	}
	for _, svc := range p.ServiceList {
		if svc.Invalid || !svc.Enabled(env.Name) {
			continue
		}
		n := &Node{Service: svc, AWS: svc.AWS.Any()}
		for _, port := range svc.Ports {
			if port.Metrics && g.Monitoring != "" {
				n.Metrics = append(n.Metrics, port)
			}
		}
		if svc.Public != nil {
			for i := range svc.Ports {
				if svc.Ports[i].Name == svc.Public.Port {
					n.Scheme, n.PublicPort = Scheme(svc.Public), &svc.Ports[i]
				}
			}
		}
		g.Nodes = append(g.Nodes, n)
		g.byName[svc.Name] = n
	}
	for _, n := range g.Nodes { // ServiceList is sorted: Callers come out sorted too
		seen := map[string]bool{}
		for _, d := range n.Service.DependsOn {
			dep := g.byName[d]
			if dep == nil || dep == n || seen[d] {
				continue
			}
			seen[d] = true
			n.Deps = append(n.Deps, dep)
			dep.Callers = append(dep.Callers, n)
		}
		slices.SortFunc(n.Deps, byName)
	}
	return g
}

func byName(a, b *Node) int { return strings.Compare(a.Service.Name, b.Service.Name) }

// Node returns the enabled service called name, or nil.
func (g *Graph) Node(name string) *Node { return g.byName[name] }

// Scheme is the ingress gateway of an exposure: the gateway of its scheme
// (meshnames.InternetFacing or meshnames.Internal).
func Scheme(e *model.Exposure) string { return e.Scheme }

// Cycles maps every service that is part of a dependsOn cycle (allowed,
// but worth seeing) to the number of its strongly connected component: two
// services are on a common cycle iff they map to the same number.
// Tarjan's algorithm: linear in the graph.
func (g *Graph) Cycles() map[string]int {
	index := map[*Node]int{}
	low := map[*Node]int{}
	on := map[*Node]bool{}
	var stack []*Node
	out := map[string]int{}
	next, comps := 0, 0
	var visit func(n *Node)
	visit = func(n *Node) {
		index[n], low[n] = next, next
		next++
		stack = append(stack, n)
		on[n] = true
		for _, d := range n.Deps {
			if _, seen := index[d]; !seen {
				visit(d)
				low[n] = min(low[n], low[d])
			} else if on[d] {
				low[n] = min(low[n], index[d])
			}
		}
		if low[n] == index[n] {
			var scc []*Node
			for {
				top := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				on[top] = false
				scc = append(scc, top)
				if top == n {
					break
				}
			}
			if len(scc) > 1 {
				comps++
				for _, m := range scc {
					out[m.Service.Name] = comps
				}
			}
		}
	}
	for _, n := range g.Nodes {
		if _, seen := index[n]; !seen {
			visit(n)
		}
	}
	return out
}

// Edge kinds.
const (
	EdgeCall    = "call"    // a service to one it depends on
	EdgeIngress = "ingress" // an ingress gateway to a public service
	EdgeScrape  = "scrape"  // the monitoring agent to metrics ports
	EdgeEgress  = "egress"  // a service to an external destination
	EdgeAWS     = "aws"     // a service to the AWS APIs
)

// Endpoints that are not services of the platform.
func GatewayEndpoint(scheme string) string { return "gateway:" + scheme }
func MonitoringEndpoint(ns string) string  { return "monitoring:" + ns }
func ExternalEndpoint(dest string) string  { return "external:" + dest }

// AWSEndpoint stands for the AWS APIs.
const AWSEndpoint = "aws"

// Edge is one allowed path: From may open connections to To on Ports.
type Edge struct {
	From  string  `json:"from"`
	To    string  `json:"to"`
	Kind  string  `json:"kind"`
	Ports []int32 `json:"ports"`
	// Cycle marks a call edge on a dependsOn cycle.
	Cycle bool `json:"cycle,omitempty"`
}

func portNumbers(ports []model.Port) []int32 {
	out := make([]int32, 0, len(ports))
	for _, p := range ports {
		out = append(out, p.Port)
	}
	return out
}

// Edges lists every allowed path of the environment, in a fixed order (by
// service, then kind as listed below).
func (g *Graph) Edges() []Edge {
	cycles := g.Cycles()
	var out []Edge
	for _, n := range g.Nodes {
		svc := n.Service
		if n.PublicPort != nil {
			out = append(out, Edge{From: GatewayEndpoint(n.Scheme), To: svc.Name, Kind: EdgeIngress, Ports: []int32{n.PublicPort.Port}})
		}
		if len(n.Metrics) > 0 {
			out = append(out, Edge{From: MonitoringEndpoint(g.Monitoring), To: svc.Name, Kind: EdgeScrape, Ports: portNumbers(n.Metrics)})
		}
		for _, d := range n.Deps {
			if len(d.Service.Ports) == 0 {
				continue
			}
			c, ok := cycles[svc.Name]
			out = append(out, Edge{From: svc.Name, To: d.Service.Name, Kind: EdgeCall, Ports: portNumbers(d.Service.Ports),
				Cycle: ok && c == cycles[d.Service.Name]})
		}
		if n.AWS {
			out = append(out, Edge{From: svc.Name, To: AWSEndpoint, Kind: EdgeAWS, Ports: []int32{HTTPSPort}})
		}
		for _, e := range svc.Egress {
			dest := e.Host
			if dest == "" {
				dest = e.CIDR
			}
			out = append(out, Edge{From: svc.Name, To: ExternalEndpoint(dest), Kind: EdgeEgress, Ports: slices.Clone(e.Ports)})
		}
	}
	return out
}

// Addresses and ports of the traffic every pod in the mesh needs.
const (
	// HBONEPort is where ztunnel delivers mesh traffic to a pod in ambient
	// mode: a caller's packets reach the callee's pod on this port, not on
	// the application's (istio.io docs, "Ambient and Kubernetes
	// NetworkPolicy").
	HBONEPort = 15008
	// ProbeSource is the address istio-cni SNATs kubelet probes to in
	// ambient mode, so that ztunnel lets them through in plain text
	// (istio cni/pkg/nftables: the host probe SNAT address).
	ProbeSource = "169.254.7.127/32"
	// PodIdentityAgent is the EKS Pod Identity agent's link-local address
	// (port 80), where the AWS SDKs get a pod's credentials.
	PodIdentityAgent     = "169.254.170.23/32"
	PodIdentityAgentPort = 80
	// DNSNamespace and DNSPodLabel select the cluster DNS (CoreDNS on EKS).
	DNSNamespace   = "kube-system"
	DNSPodLabelKey = "k8s-app"
	DNSPodLabel    = "kube-dns"
	// HTTPSPort is where the AWS APIs listen.
	HTTPSPort = 443
	// APMPort is the Datadog trace agent's host port on every node
	// (the chart's datadog.apm.portEnabled): tracers send to
	// DD_AGENT_HOST (the pod's node) on it.
	APMPort = 8126
)

// privateRanges are the RFC 1918 networks. "Public addresses" (the AWS
// APIs through the NAT gateways or the S3 gateway endpoint, external
// hosts) are everything but these and the VPC.
var privateRanges = []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"}

// PublicExcept is what a rule to 0.0.0.0/0 must leave out to mean "public
// addresses only": the private ranges and the environment's VPC when it is
// outside them, so a service never reaches another pod that way.
func PublicExcept(env *model.Environment) []string {
	out := slices.Clone(privateRanges)
	if vpc, err := netip.ParsePrefix(env.Network.VPCCIDR); err == nil {
		inside := false
		for _, r := range privateRanges {
			if netip.MustParsePrefix(r).Contains(vpc.Addr()) {
				inside = true
			}
		}
		if !inside {
			out = append(out, vpc.Masked().String())
		}
	}
	return out
}

// AWSThroughVPC reports whether AWS API calls may go to interface
// endpoints inside the VPC (HTTPS to the VPC CIDR): only where the
// environment has some.
func AWSThroughVPC(env *model.Environment) bool { return len(env.Network.InterfaceEndpoints) > 0 }

// RootNamespace is Istio's root namespace, where mesh-wide policies live:
// the istiod chart's meshConfig.rootNamespace defaults to
// global.istioNamespace, which idpgen's values leave at istio-system.
const RootNamespace = "istio-system"
