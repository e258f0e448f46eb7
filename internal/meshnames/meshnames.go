// Package meshnames holds the Kubernetes-side names that several emitters
// must agree on for traffic: where the ingress gateways run, how their pods
// are labelled and which identity they carry in the mesh. The ingress
// objects, the NetworkPolicies and the Istio AuthorizationPolicies all call
// this package, so an allow rule can never point at a gateway that is named
// differently.
package meshnames

// TrustDomain is the Istio trust domain (the istiod default). Principals are
// TrustDomain + "/ns/<namespace>/sa/<service account>".
const TrustDomain = "cluster.local"

// Principal is the SPIFFE-style principal Istio authorization matches for a
// workload running as serviceAccount in namespace.
func Principal(namespace, serviceAccount string) string {
	return TrustDomain + "/ns/" + namespace + "/sa/" + serviceAccount
}

// IngressNamespace is the namespace of the ingress gateways.
const IngressNamespace = "istio-ingress"

// GatewayClass is the Gateway API class Istio implements.
const GatewayClass = "istio"

// Schemes of an exposure; each scheme has its own gateway and load balancer.
const (
	InternetFacing = "internet-facing"
	Internal       = "internal"
)

// Gateway is the name of the Gateway for scheme.
func Gateway(scheme string) string { return scheme }

// GatewayNameLabel is the label Istio's automated deployment puts on the
// gateway's pods, valued with the Gateway's name.
const GatewayNameLabel = "gateway.networking.k8s.io/gateway-name"

// GatewayServiceAccount is the service account Istio's automated deployment
// gives the gateway's pods: "<gateway>-<class>".
func GatewayServiceAccount(scheme string) string { return Gateway(scheme) + "-" + GatewayClass }
