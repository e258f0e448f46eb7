package kustomize

// Ingress for public services: Gateway API objects that Istio implements.
//
// Per environment, one Gateway per exposure scheme in use, in the ingress
// namespace (internal/meshnames): Istio's automated deployment turns it into
// an Envoy Deployment and a LoadBalancer Service carrying the Gateway's
// spec.infrastructure.annotations, from which the AWS Load Balancer
// Controller makes a Network Load Balancer that terminates TLS with the
// environment's ACM certificates on 443 and passes plain TCP on 80. The
// gateway listens for HTTP on both: 80 only redirects to HTTPS, 443 routes.
// Per public service, one HTTPRoute in its own namespace (env-independent,
// so in its base) attaches to the https listener of its scheme's Gateway.
// The gateway is a mesh workload with its own identity, so it reaches the
// ambient pods over HBONE with mTLS, which STRICT PeerAuthentication
// requires; a load balancer sending plain HTTP to a pod would be refused.

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/idpgen/idpgen/internal/meshnames"
	"github.com/idpgen/idpgen/internal/model"
)

// IngressDir holds an environment's gateways.
func IngressDir(env string) string { return EnvironmentDir(env) + "/ingress" }

const gatewayAPIVersion = "gateway.networking.k8s.io/v1"

// Gateway listener names, the sectionName of the routes attached to them.
const (
	ListenerHTTP  = "http"
	ListenerHTTPS = "https"
)

// GatewayAPI objects, as small local types: the tests validate them against
// the upstream CRDs (sigs.k8s.io/gateway-api, pinned in crdschema/pin).
type (
	Gateway struct {
		metav1.TypeMeta `json:",inline"`
		Metadata        metav1.ObjectMeta `json:"metadata"`
		Spec            GatewaySpec       `json:"spec"`
	}
	GatewaySpec struct {
		GatewayClassName string          `json:"gatewayClassName"`
		Infrastructure   *Infrastructure `json:"infrastructure,omitempty"`
		Listeners        []Listener      `json:"listeners"`
	}
	Infrastructure struct {
		Annotations   map[string]string `json:"annotations,omitempty"`
		ParametersRef *ParametersRef    `json:"parametersRef,omitempty"`
	}
	ParametersRef struct {
		Group string `json:"group"`
		Kind  string `json:"kind"`
		Name  string `json:"name"`
	}
	Listener struct {
		Name          string        `json:"name"`
		Port          int32         `json:"port"`
		Protocol      string        `json:"protocol"`
		AllowedRoutes AllowedRoutes `json:"allowedRoutes"`
	}
	AllowedRoutes struct {
		Namespaces RouteNamespaces `json:"namespaces"`
	}
	RouteNamespaces struct {
		From     string                `json:"from"`
		Selector *metav1.LabelSelector `json:"selector,omitempty"`
	}
	HTTPRoute struct {
		metav1.TypeMeta `json:",inline"`
		Metadata        metav1.ObjectMeta `json:"metadata"`
		Spec            HTTPRouteSpec     `json:"spec"`
	}
	HTTPRouteSpec struct {
		ParentRefs []ParentRef     `json:"parentRefs"`
		Hostnames  []string        `json:"hostnames,omitempty"`
		Rules      []HTTPRouteRule `json:"rules"`
	}
	ParentRef struct {
		Group       string `json:"group"`
		Kind        string `json:"kind"`
		Namespace   string `json:"namespace"`
		Name        string `json:"name"`
		SectionName string `json:"sectionName"`
	}
	HTTPRouteRule struct {
		Matches     []HTTPRouteMatch `json:"matches,omitempty"`
		Filters     []HTTPFilter     `json:"filters,omitempty"`
		BackendRefs []BackendRef     `json:"backendRefs,omitempty"`
	}
	HTTPRouteMatch struct {
		Path PathMatch `json:"path"`
	}
	PathMatch struct {
		Type  string `json:"type"`
		Value string `json:"value"`
	}
	HTTPFilter struct {
		Type            string           `json:"type"`
		RequestRedirect *RequestRedirect `json:"requestRedirect,omitempty"`
	}
	RequestRedirect struct {
		Scheme     string `json:"scheme"`
		StatusCode int    `json:"statusCode"`
	}
	BackendRef struct {
		Name string `json:"name"`
		Port int32  `json:"port"`
	}
)

// LoadBalancerAnnotations are the AWS Load Balancer Controller annotations
// Istio copies onto the gateway's Service: a Network Load Balancer of the
// scheme with IP targets (the gateway pods), TLS on 443 with the
// environment's certificates (TLS 1.3/1.2 policy). Gateway API allows at
// most 8 infrastructure annotations (the CRD's maxProperties), so the
// health check stays the controller's default (TCP to the traffic port,
// which Envoy opens once it has its configuration).
func LoadBalancerAnnotations(scheme string, certificates []string) map[string]string {
	const prefix = "service.beta.kubernetes.io/aws-load-balancer-"
	return map[string]string{
		prefix + "type":                   "external",
		prefix + "nlb-target-type":        "ip",
		prefix + "scheme":                 scheme,
		prefix + "ssl-cert":               strings.Join(certificates, ","),
		prefix + "ssl-ports":              "443",
		prefix + "ssl-negotiation-policy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
	}
}

// PublicSchemes lists the schemes some public service running in env
// uses, in a stable order.
func PublicSchemes(p *model.Platform, env *model.Environment) []string {
	used := map[string]bool{}
	for _, svc := range p.ServiceList {
		if svc.Public != nil && svc.Enabled(env.Name) {
			used[svc.Public.Scheme] = true
		}
	}
	return slices.Sorted(maps.Keys(used))
}

func ingressMeta(p *model.Platform, env *model.Environment, name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: meshnames.IngressNamespace, Labels: map[string]string{
		"app.kubernetes.io/managed-by": "idpgen",
		"app.kubernetes.io/part-of":    p.Name,
		LabelEnvironment:               env.Name,
	}}
}

// ingressObjects are env's ingress namespace, gateways and HTTP redirects;
// none when no public service runs there.
func ingressObjects(p *model.Platform, env *model.Environment) []any {
	schemes := PublicSchemes(p, env)
	if len(schemes) == 0 {
		return nil
	}
	ns := ingressMeta(p, env, meshnames.IngressNamespace)
	ns.Namespace = ""
	// The gateway pods bind 80 and 443 through a safe sysctl
	// (net.ipv4.ip_unprivileged_port_start), which baseline allows. The
	// namespace is not in ambient mode: a gateway is its own mesh proxy.
	ns.Labels["pod-security.kubernetes.io/enforce"] = "baseline"
	out := []any{&corev1.Namespace{TypeMeta: typeMeta("v1", "Namespace"), ObjectMeta: ns}}
	for _, scheme := range schemes {
		name := meshnames.Gateway(scheme)
		options := gatewayOptions(p, env, name)
		out = append(out, options, &Gateway{
			TypeMeta: typeMeta(gatewayAPIVersion, "Gateway"),
			Metadata: ingressMeta(p, env, name),
			Spec: GatewaySpec{
				GatewayClassName: meshnames.GatewayClass,
				Infrastructure: &Infrastructure{
					Annotations:   LoadBalancerAnnotations(scheme, env.Ingress.Certificates),
					ParametersRef: &ParametersRef{Group: "", Kind: "ConfigMap", Name: options.Name},
				},
				Listeners: []Listener{
					// Port 80 serves only the redirect, from this namespace.
					{Name: ListenerHTTP, Port: 80, Protocol: "HTTP", AllowedRoutes: AllowedRoutes{Namespaces: RouteNamespaces{From: "Same"}}},
					// TLS ends at the load balancer: the listener speaks HTTP.
					// Only team namespaces may attach routes.
					{Name: ListenerHTTPS, Port: 443, Protocol: "HTTP", AllowedRoutes: AllowedRoutes{Namespaces: RouteNamespaces{
						From:     "Selector",
						Selector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: LabelTeam, Operator: metav1.LabelSelectorOpExists}}},
					}}},
				},
			},
		}, &HTTPRoute{
			TypeMeta: typeMeta(gatewayAPIVersion, "HTTPRoute"),
			Metadata: ingressMeta(p, env, name+"-https-redirect"),
			Spec: HTTPRouteSpec{
				ParentRefs: []ParentRef{gatewayRef(scheme, ListenerHTTP)},
				Rules: []HTTPRouteRule{{Filters: []HTTPFilter{{
					Type: "RequestRedirect", RequestRedirect: &RequestRedirect{Scheme: "https", StatusCode: 301},
				}}}},
			},
		})
	}
	return out
}

// Gateway sizing: the environment's default replica count at least, five
// times that at most.
func GatewayReplicas(env *model.Environment) (minReplicas, maxReplicas int32) {
	n := int32(env.Sizing.DefaultReplicas)
	return n, 5 * n
}

// gatewayOptions is the ConfigMap a Gateway's parametersRef names: Istio
// applies each key as a strategic-merge patch to the object of that kind
// it deploys for the Gateway (and creates the HorizontalPodAutoscaler and
// PodDisruptionBudget only when the key is there). Without it a gateway is
// one pod, which a node drain takes offline; with it the gateway scales on
// CPU from the environment's default replica count, one pod at a time may
// be disrupted, and the pods spread over zones.
func gatewayOptions(p *model.Platform, env *model.Environment, gateway string) *corev1.ConfigMap {
	lo, hi := GatewayReplicas(env)
	return &corev1.ConfigMap{
		TypeMeta:   typeMeta("v1", "ConfigMap"),
		ObjectMeta: ingressMeta(p, env, gateway+"-options"),
		Data: map[string]string{
			"horizontalPodAutoscaler": fmt.Sprintf("spec:\n  minReplicas: %d\n  maxReplicas: %d\n", lo, hi),
			"podDisruptionBudget":     "spec:\n  maxUnavailable: 1\n",
			"deployment": fmt.Sprintf(`spec:
  template:
    spec:
      topologySpreadConstraints:
      - maxSkew: 1
        topologyKey: topology.kubernetes.io/zone
        whenUnsatisfiable: ScheduleAnyway
        labelSelector:
          matchLabels:
            %s: %s
`, meshnames.GatewayNameLabel, gateway),
		},
	}
}

func gatewayRef(scheme, listener string) ParentRef {
	return ParentRef{Group: "gateway.networking.k8s.io", Kind: "Gateway", Namespace: meshnames.IngressNamespace, Name: meshnames.Gateway(scheme), SectionName: listener}
}

// httpRoute routes a public service's host and path prefix to its port.
func httpRoute(p *model.Platform, svc *model.Service) *HTTPRoute {
	port, _ := svc.Port(svc.Public.Port)
	return &HTTPRoute{
		TypeMeta: typeMeta(gatewayAPIVersion, "HTTPRoute"),
		Metadata: meta(p, svc),
		Spec: HTTPRouteSpec{
			ParentRefs: []ParentRef{gatewayRef(svc.Public.Scheme, ListenerHTTPS)},
			Hostnames:  []string{svc.Public.Host},
			Rules: []HTTPRouteRule{{
				Matches:     []HTTPRouteMatch{{Path: PathMatch{Type: "PathPrefix", Value: svc.Public.Path}}},
				BackendRefs: []BackendRef{{Name: svc.Name, Port: port.Port}},
			}},
		},
	}
}

// appProtocol is a port's declared appProtocol for its Service port.
func appProtocol(p model.Port) *string {
	if p.AppProtocol == "" {
		return nil
	}
	return &p.AppProtocol
}
