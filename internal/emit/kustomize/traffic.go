package kustomize

import (
	"maps"
	"slices"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/idpgen/idpgen/internal/meshnames"
	"github.com/idpgen/idpgen/internal/model"
	"github.com/idpgen/idpgen/internal/traffic"
)

// Traffic objects. Every team namespace denies all traffic in and out and
// allows DNS (namespaceDefaults); each service then gets, in one file of
// its overlay (TrafficFile), a NetworkPolicy opening exactly its edges of
// the environment's traffic.Graph and, where Istio runs, an
// AuthorizationPolicy allowing exactly its callers' identities. The mesh
// runs STRICT mTLS (meshPeerAuthentication, in the cluster directory).

// TrafficFile is the overlay file holding a service's traffic objects.
const TrafficFile = "traffic.yaml"

// Names of the namespace-wide NetworkPolicies.
const (
	PolicyDefaultDeny = "default-deny"
	PolicyAllowDNS    = "allow-dns"
)

// NamespaceLabel is the label the API server puts on every namespace,
// valued with its name: what a namespaceSelector can rely on.
const NamespaceLabel = "kubernetes.io/metadata.name"

var (
	tcp = corev1.ProtocolTCP
	udp = corev1.ProtocolUDP
)

func npMeta(name, ns string, labels map[string]string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels}
}

func netpolPort(proto corev1.Protocol, port int32) networkingv1.NetworkPolicyPort {
	return networkingv1.NetworkPolicyPort{Protocol: ptr.To(proto), Port: ptr.To(intstr.FromInt32(port))}
}

func portProto(p model.Port) corev1.Protocol {
	if p.Protocol == "UDP" {
		return udp
	}
	return tcp
}

// peer selects pods by namespace name and pod labels.
func peer(ns string, labels map[string]string) networkingv1.NetworkPolicyPeer {
	return networkingv1.NetworkPolicyPeer{
		NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{NamespaceLabel: ns}},
		PodSelector:       &metav1.LabelSelector{MatchLabels: labels},
	}
}

func servicePeer(svc *model.Service) networkingv1.NetworkPolicyPeer {
	return peer(svc.Namespace, selector(svc))
}

// namespaceDefaults are the NetworkPolicies of a team namespace: nothing in
// or out, but DNS to the cluster's DNS pods. Platform namespaces (Argo CD,
// add-ons) get none: idpgen never restricts what it does not own.
func namespaceDefaults(p *model.Platform, ns string, env *model.Environment) []any {
	l := map[string]string{"app.kubernetes.io/managed-by": "idpgen", "app.kubernetes.io/part-of": p.Name}
	deny := &networkingv1.NetworkPolicy{
		TypeMeta:   typeMeta("networking.k8s.io/v1", "NetworkPolicy"),
		ObjectMeta: npMeta(PolicyDefaultDeny, ns, l),
		Spec: networkingv1.NetworkPolicySpec{
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress},
		},
	}
	dns := &networkingv1.NetworkPolicy{
		TypeMeta:   typeMeta("networking.k8s.io/v1", "NetworkPolicy"),
		ObjectMeta: npMeta(PolicyAllowDNS, ns, l),
		Spec: networkingv1.NetworkPolicySpec{
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress},
			Egress: []networkingv1.NetworkPolicyEgressRule{{
				To:    []networkingv1.NetworkPolicyPeer{peer(traffic.DNSNamespace, map[string]string{traffic.DNSPodLabelKey: traffic.DNSPodLabel})},
				Ports: []networkingv1.NetworkPolicyPort{netpolPort(udp, 53), netpolPort(tcp, 53)},
			}},
		},
	}
	return []any{deny, dns}
}

// withHBONE adds ztunnel's port to the ports of a rule between two mesh
// workloads: in ambient mode the packets of a mesh connection reach the
// pod on 15008, not on the application's port.
func withHBONE(g *traffic.Graph, ports []networkingv1.NetworkPolicyPort) []networkingv1.NetworkPolicyPort {
	if g.Mesh {
		ports = append(ports, netpolPort(tcp, traffic.HBONEPort))
	}
	return ports
}

func declaredPorts(svc *model.Service) []networkingv1.NetworkPolicyPort {
	var out []networkingv1.NetworkPolicyPort
	for _, p := range svc.Ports {
		out = append(out, netpolPort(portProto(p), p.Port))
	}
	return out
}

// networkPolicy opens a service's edges of the graph: ingress from its
// callers on its declared ports, from its ingress gateway on its public
// port, from the monitoring agent on its metrics ports and from the kubelet
// (probes); egress to its dependencies' ports, to the AWS APIs when it
// calls them and to its declared external destinations.
func networkPolicy(p *model.Platform, g *traffic.Graph, n *traffic.Node) *networkingv1.NetworkPolicy {
	svc, env := n.Service, g.Env
	np := &networkingv1.NetworkPolicy{
		TypeMeta:   typeMeta("networking.k8s.io/v1", "NetworkPolicy"),
		ObjectMeta: npMeta(svc.Name, svc.Namespace, labels(p, svc)),
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: selector(svc)},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress},
			// Empty, not absent: no rule means nothing allowed.
			Ingress: []networkingv1.NetworkPolicyIngressRule{},
			Egress:  []networkingv1.NetworkPolicyEgressRule{},
		},
	}
	in := &np.Spec.Ingress
	if len(n.Callers) > 0 && len(svc.Ports) > 0 {
		from := make([]networkingv1.NetworkPolicyPeer, 0, len(n.Callers))
		for _, c := range n.Callers {
			from = append(from, servicePeer(c.Service))
		}
		*in = append(*in, networkingv1.NetworkPolicyIngressRule{From: from, Ports: withHBONE(g, declaredPorts(svc))})
	}
	if n.PublicPort != nil {
		gw := peer(meshnames.IngressNamespace, map[string]string{meshnames.GatewayNameLabel: meshnames.Gateway(n.Scheme)})
		*in = append(*in, networkingv1.NetworkPolicyIngressRule{From: []networkingv1.NetworkPolicyPeer{gw},
			Ports: withHBONE(g, []networkingv1.NetworkPolicyPort{netpolPort(portProto(*n.PublicPort), n.PublicPort.Port)})})
	}
	if len(n.Metrics) > 0 {
		// Scrapes arrive in plain text from the agent's pods (see
		// metricsException): no HBONE port.
		var ports []networkingv1.NetworkPolicyPort
		for _, m := range n.Metrics {
			ports = append(ports, netpolPort(portProto(m), m.Port))
		}
		agent := networkingv1.NetworkPolicyPeer{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{NamespaceLabel: g.Monitoring}}}
		*in = append(*in, networkingv1.NetworkPolicyIngressRule{From: []networkingv1.NetworkPolicyPeer{agent}, Ports: ports})
	}
	if g.Mesh {
		// Kubelet probes come from the node; in ambient mode istio-cni
		// rewrites their source to one link-local address.
		var ports []networkingv1.NetworkPolicyPort
		for _, port := range svc.Ports {
			if port.Protocol != "UDP" {
				ports = append(ports, netpolPort(tcp, port.Port))
			}
		}
		if len(ports) > 0 {
			*in = append(*in, networkingv1.NetworkPolicyIngressRule{
				From:  []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: traffic.ProbeSource}}},
				Ports: ports})
		}
	}

	out := &np.Spec.Egress
	for _, d := range n.Deps {
		if len(d.Service.Ports) == 0 {
			continue
		}
		*out = append(*out, networkingv1.NetworkPolicyEgressRule{To: []networkingv1.NetworkPolicyPeer{servicePeer(d.Service)}, Ports: withHBONE(g, declaredPorts(d.Service))})
	}
	if g.Monitoring != "" {
		// Traces go to the Datadog agent on the pod's own node
		// (DD_AGENT_HOST = status.hostIP, the agent's host port). A
		// NetworkPolicy cannot name "this pod's node", so the port is
		// open towards the VPC, where every node's address is; a pod on
		// that port still needs its own policy to admit the traffic, and
		// no team pod's does.
		*out = append(*out, networkingv1.NetworkPolicyEgressRule{
			To:    []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: env.Network.VPCCIDR}}},
			Ports: []networkingv1.NetworkPolicyPort{netpolPort(tcp, traffic.APMPort)}})
	}
	public := networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: "0.0.0.0/0", Except: traffic.PublicExcept(env)}}
	if n.AWS {
		*out = append(*out, networkingv1.NetworkPolicyEgressRule{
			To:    []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: traffic.PodIdentityAgent}}},
			Ports: []networkingv1.NetworkPolicyPort{netpolPort(tcp, traffic.PodIdentityAgentPort)}})
		to := []networkingv1.NetworkPolicyPeer{public}
		if traffic.AWSThroughVPC(env) {
			to = append(to, networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: env.Network.VPCCIDR}})
		}
		*out = append(*out, networkingv1.NetworkPolicyEgressRule{To: to, Ports: []networkingv1.NetworkPolicyPort{netpolPort(tcp, traffic.HTTPSPort)}})
	}
	for _, e := range svc.Egress {
		var ports []networkingv1.NetworkPolicyPort
		for _, port := range e.Ports {
			ports = append(ports, netpolPort(tcp, port))
		}
		to := public
		if e.CIDR != "" {
			to = networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: e.CIDR}}
		}
		*out = append(*out, networkingv1.NetworkPolicyEgressRule{To: []networkingv1.NetworkPolicyPeer{to}, Ports: ports})
	}
	return np
}

// Istio objects, as small structs: the istio.io/api Go types carry
// protobuf machinery idpgen does not need. Tests validate them against
// Istio's CRDs.
type (
	istioMeta struct {
		Name        string            `json:"name"`
		Namespace   string            `json:"namespace"`
		Labels      map[string]string `json:"labels,omitempty"`
		Annotations map[string]string `json:"annotations,omitempty"`
	}
	istioSelector struct {
		MatchLabels map[string]string `json:"matchLabels"`
	}
	PeerAuthentication struct {
		APIVersion string                 `json:"apiVersion"`
		Kind       string                 `json:"kind"`
		Metadata   istioMeta              `json:"metadata"`
		Spec       PeerAuthenticationSpec `json:"spec"`
	}
	PeerAuthenticationSpec struct {
		Selector      *istioSelector  `json:"selector,omitempty"`
		MTLS          MTLS            `json:"mtls"`
		PortLevelMTLS map[string]MTLS `json:"portLevelMtls,omitempty"`
	}
	MTLS struct {
		Mode string `json:"mode"`
	}
	AuthorizationPolicy struct {
		APIVersion string                  `json:"apiVersion"`
		Kind       string                  `json:"kind"`
		Metadata   istioMeta               `json:"metadata"`
		Spec       AuthorizationPolicySpec `json:"spec"`
	}
	AuthorizationPolicySpec struct {
		Selector istioSelector `json:"selector"`
		Action   string        `json:"action"`
		Rules    []AuthzRule   `json:"rules"`
	}
	AuthzRule struct {
		From []AuthzFrom `json:"from,omitempty"`
		To   []AuthzTo   `json:"to"`
	}
	AuthzFrom struct {
		Source AuthzSource `json:"source"`
	}
	AuthzSource struct {
		Principals []string `json:"principals"`
	}
	AuthzTo struct {
		Operation AuthzOperation `json:"operation"`
	}
	AuthzOperation struct {
		Ports []string `json:"ports"`
	}
	ServiceEntry struct {
		APIVersion string           `json:"apiVersion"`
		Kind       string           `json:"kind"`
		Metadata   istioMeta        `json:"metadata"`
		Spec       ServiceEntrySpec `json:"spec"`
	}
	ServiceEntrySpec struct {
		Hosts      []string           `json:"hosts"`
		Location   string             `json:"location"`
		Resolution string             `json:"resolution"`
		Ports      []ServiceEntryPort `json:"ports"`
		ExportTo   []string           `json:"exportTo"`
	}
	ServiceEntryPort struct {
		Number   int32  `json:"number"`
		Name     string `json:"name"`
		Protocol string `json:"protocol"`
	}
)

const (
	securityV1   = "security.istio.io/v1"
	networkingV1 = "networking.istio.io/v1"
)

// meshPeerAuthentication makes mTLS mandatory in the whole mesh: ztunnel
// refuses plain text to any enrolled pod (but see metricsException).
func meshPeerAuthentication(p *model.Platform) *PeerAuthentication {
	return &PeerAuthentication{
		APIVersion: securityV1, Kind: "PeerAuthentication",
		Metadata: istioMeta{Name: "default", Namespace: traffic.RootNamespace,
			Labels: map[string]string{"app.kubernetes.io/managed-by": "idpgen", "app.kubernetes.io/part-of": p.Name},
			// The cluster directory syncs before the Istio add-on installs
			// the CRD; Argo CD retries until it exists.
			Annotations: map[string]string{"argocd.argoproj.io/sync-options": "SkipDryRunOnMissingResource=true"}},
		Spec: PeerAuthenticationSpec{MTLS: MTLS{Mode: "STRICT"}},
	}
}

func istioMetaOf(p *model.Platform, svc *model.Service, name string) istioMeta {
	return istioMeta{Name: name, Namespace: svc.Namespace, Labels: labels(p, svc)}
}

// metricsException lets the monitoring agent, which is outside the mesh,
// scrape a service's metrics ports in plain text: STRICT everywhere else,
// PERMISSIVE on those ports only (ztunnel honours port-level mTLS of a
// workload-selected policy). The NetworkPolicy still admits only the
// agent's namespace there.
func metricsException(p *model.Platform, n *traffic.Node) *PeerAuthentication {
	pl := map[string]MTLS{}
	for _, m := range n.Metrics {
		pl[strconv.Itoa(int(m.Port))] = MTLS{Mode: "PERMISSIVE"}
	}
	return &PeerAuthentication{
		APIVersion: securityV1, Kind: "PeerAuthentication",
		Metadata: istioMetaOf(p, n.Service, n.Service.Name+"-metrics"),
		Spec: PeerAuthenticationSpec{Selector: &istioSelector{MatchLabels: selector(n.Service)},
			MTLS: MTLS{Mode: "STRICT"}, PortLevelMTLS: pl},
	}
}

func portStrings(ports []model.Port) []string {
	out := make([]string, 0, len(ports))
	for _, p := range ports {
		out = append(out, strconv.Itoa(int(p.Port)))
	}
	return out
}

// authorizationPolicy allows a service's callers' identities and its
// gateway's on its ports, and plain-text scrapes on its metrics ports;
// nothing else (an ALLOW policy that matches nothing denies). L4 only
// (principals, ports): ztunnel enforces it without a waypoint.
func authorizationPolicy(p *model.Platform, g *traffic.Graph, n *traffic.Node) *AuthorizationPolicy {
	svc := n.Service
	ap := &AuthorizationPolicy{
		APIVersion: securityV1, Kind: "AuthorizationPolicy",
		Metadata: istioMetaOf(p, svc, svc.Name),
		Spec:     AuthorizationPolicySpec{Selector: istioSelector{MatchLabels: selector(svc)}, Action: "ALLOW", Rules: []AuthzRule{}},
	}
	rules := &ap.Spec.Rules
	if len(n.Callers) > 0 && len(svc.Ports) > 0 {
		var principals []string
		for _, c := range n.Callers {
			principals = append(principals, meshnames.Principal(c.Service.Namespace, c.Service.Name))
		}
		*rules = append(*rules, AuthzRule{From: []AuthzFrom{{AuthzSource{principals}}}, To: []AuthzTo{{AuthzOperation{portStrings(svc.Ports)}}}})
	}
	if n.PublicPort != nil {
		gw := meshnames.Principal(meshnames.IngressNamespace, meshnames.GatewayServiceAccount(n.Scheme))
		*rules = append(*rules, AuthzRule{From: []AuthzFrom{{AuthzSource{[]string{gw}}}}, To: []AuthzTo{{AuthzOperation{portStrings([]model.Port{*n.PublicPort})}}}})
	}
	if len(n.Metrics) > 0 {
		*rules = append(*rules, AuthzRule{To: []AuthzTo{{AuthzOperation{portStrings(n.Metrics)}}}})
	}
	return ap
}

// serviceEntry registers a service's external hosts in the mesh.
func serviceEntry(p *model.Platform, svc *model.Service) *ServiceEntry {
	var hosts []string
	ports := map[int32]bool{}
	for _, e := range svc.Egress {
		if e.Host == "" {
			continue
		}
		if !slices.Contains(hosts, e.Host) {
			hosts = append(hosts, e.Host)
		}
		for _, port := range e.Ports {
			ports[port] = true
		}
	}
	if len(hosts) == 0 {
		return nil
	}
	slices.Sort(hosts)
	se := &ServiceEntry{APIVersion: networkingV1, Kind: "ServiceEntry", Metadata: istioMetaOf(p, svc, svc.Name+"-egress"),
		Spec: ServiceEntrySpec{Hosts: hosts, Location: "MESH_EXTERNAL", Resolution: "DNS", ExportTo: []string{"."}}}
	for _, port := range slices.Sorted(maps.Keys(ports)) {
		proto := "TCP"
		if port == traffic.HTTPSPort {
			proto = "TLS"
		}
		se.Spec.Ports = append(se.Spec.Ports, ServiceEntryPort{Number: port, Name: "tcp-" + strconv.Itoa(int(port)), Protocol: proto})
	}
	return se
}

// trafficObjects are the documents of a service's TrafficFile.
func trafficObjects(p *model.Platform, g *traffic.Graph, n *traffic.Node) []any {
	objs := []any{networkPolicy(p, g, n)}
	if g.Mesh {
		objs = append(objs, authorizationPolicy(p, g, n))
		if len(n.Metrics) > 0 {
			objs = append(objs, metricsException(p, n))
		}
		if se := serviceEntry(p, n.Service); se != nil {
			objs = append(objs, se)
		}
		if dr := destinationRule(p, n.Service); dr != nil {
			objs = append(objs, dr)
		}
	}
	return objs
}

// trafficGraphs computes each environment's graph once, before the
// services are rendered in parallel (they only read it).
func trafficGraphs(p *model.Platform) map[string]*traffic.Graph {
	out := make(map[string]*traffic.Graph, len(p.EnvironmentList))
	for _, env := range p.EnvironmentList {
		out[env.Name] = traffic.Build(p, env)
	}
	return out
}

// DestinationRule is the gateway-side traffic policy of a public service.
type DestinationRule struct {
	APIVersion string              `json:"apiVersion"`
	Kind       string              `json:"kind"`
	Metadata   istioMeta           `json:"metadata"`
	Spec       DestinationRuleSpec `json:"spec"`
}

type DestinationRuleSpec struct {
	Host          string        `json:"host"`
	TrafficPolicy TrafficPolicy `json:"trafficPolicy"`
}

type TrafficPolicy struct {
	ConnectionPool   *ConnectionPool   `json:"connectionPool,omitempty"`
	OutlierDetection *OutlierDetection `json:"outlierDetection,omitempty"`
}

type ConnectionPool struct {
	TCP *struct {
		MaxConnections int32 `json:"maxConnections"`
	} `json:"tcp,omitempty"`
	HTTP *struct {
		HTTP1MaxPendingRequests int32 `json:"http1MaxPendingRequests"`
	} `json:"http,omitempty"`
}

type OutlierDetection struct {
	Consecutive5xxErrors int32  `json:"consecutive5xxErrors"`
	Interval             string `json:"interval"`
	BaseEjectionTime     string `json:"baseEjectionTime"`
}

// destinationRule applies a public service's resilience at the ingress
// gateway (an Envoy: it honours DestinationRules; ztunnel does not, which
// is why validate refuses resilience on a service that is not public).
func destinationRule(p *model.Platform, svc *model.Service) *DestinationRule {
	r := svc.Resilience
	if r == nil || svc.Public == nil {
		return nil
	}
	var tp TrafficPolicy
	if r.MaxConnections != nil || r.MaxPendingRequests != nil {
		tp.ConnectionPool = &ConnectionPool{}
		if r.MaxConnections != nil {
			tp.ConnectionPool.TCP = &struct {
				MaxConnections int32 `json:"maxConnections"`
			}{*r.MaxConnections}
		}
		if r.MaxPendingRequests != nil {
			tp.ConnectionPool.HTTP = &struct {
				HTTP1MaxPendingRequests int32 `json:"http1MaxPendingRequests"`
			}{*r.MaxPendingRequests}
		}
	}
	if r.Consecutive5xxErrors != nil {
		tp.OutlierDetection = &OutlierDetection{Consecutive5xxErrors: *r.Consecutive5xxErrors, Interval: "10s",
			BaseEjectionTime: strconv.Itoa(int(r.EjectionSeconds)) + "s"}
	}
	if tp.ConnectionPool == nil && tp.OutlierDetection == nil {
		return nil
	}
	return &DestinationRule{APIVersion: networkingV1, Kind: "DestinationRule", Metadata: istioMetaOf(p, svc, svc.Name),
		Spec: DestinationRuleSpec{Host: svc.Name + "." + svc.Namespace + ".svc.cluster.local", TrafficPolicy: tp}}
}
