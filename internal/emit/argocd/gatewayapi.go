package argocd

import (
	"path"

	"github.com/idpgen/idpgen/internal/emit/addons"
)

// The Gateway API CRDs (standard channel), which Istio implements but does
// not install. They come straight from the upstream repository at a release
// tag: the version is the one the pinned Istio is built against (its
// go.mod), and the tests validate every Gateway and HTTPRoute idpgen renders
// against the CRDs of this same version (crdschema/pin). Bump it with Istio.
const (
	GatewayAPIRepo    = "https://github.com/kubernetes-sigs/gateway-api.git"
	GatewayAPIVersion = "v1.5.1"
	GatewayAPIPath    = "config/crd/standard"
	// GatewayAPIApp is the Application's name.
	GatewayAPIApp = "gateway-api-crds"
)

// gatewayAPISource is the upstream directory of the CRDs.
func gatewayAPISource() Source {
	return Source{RepoURL: GatewayAPIRepo, TargetRevision: GatewayAPIVersion, Path: GatewayAPIPath}
}

// upstreamSource reports whether s is the one directory outside the
// platform repository an Application may deploy.
func upstreamSource(s Source) bool { return s == gatewayAPISource() }

// gatewayAPICRDs installs the CRDs in the operators' wave, with istio-base:
// before istiod (next wave), which serves the Gateway API only for the
// kinds present when it watches them, and before the ingress gateways.
// Never pruned: deleting a CRD deletes every Gateway and route with it.
func (b builder) gatewayAPICRDs() Application {
	sp := TierSyncPolicy(b.env, "ServerSideApply=true")
	sp.Automated.Prune = false
	src := gatewayAPISource()
	return application(b.meta(GatewayAPIApp, addons.WaveOperators), ApplicationSpec{
		Project:     ProjectPlatform,
		Source:      &src,
		Destination: Destination{Server: InCluster},
		SyncPolicy:  sp,
		Info:        []Info{{Name: "crds", Value: path.Join("gateway-api", GatewayAPIVersion, GatewayAPIPath)}},
	})
}
