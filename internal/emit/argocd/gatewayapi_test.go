package argocd_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/idpgen/idpgen/internal/crdschema"
	"github.com/idpgen/idpgen/internal/emit/addons"
	"github.com/idpgen/idpgen/internal/emit/argocd"
)

// The CRDs installed in the clusters are the ones the tests validate
// against, and the version the pinned Istio is built with.
func TestGatewayAPIVersionMatchesPins(t *testing.T) {
	pinned, err := crdschema.PinnedVersion(crdschema.GatewayAPI)
	if err != nil {
		t.Fatal(err)
	}
	if pinned != argocd.GatewayAPIVersion {
		t.Errorf("crdschema/pin has gateway-api %s, the clusters get %s", pinned, argocd.GatewayAPIVersion)
	}
	dir, err := crdschema.ModuleDir(crdschema.Istio)
	if err != nil {
		t.Fatal(err)
	}
	mod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	var istio string
	for _, line := range strings.Split(string(mod), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == crdschema.GatewayAPI {
			istio = f[1]
		}
	}
	if istio != argocd.GatewayAPIVersion {
		t.Errorf("the pinned Istio is built with gateway-api %q, the clusters get %s", istio, argocd.GatewayAPIVersion)
	}
	gw, err := crdschema.ModuleDir(crdschema.GatewayAPI)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(gw, argocd.GatewayAPIPath, "gateway.networking.k8s.io_httproutes.yaml")); err != nil {
		t.Errorf("the Application's path holds no HTTPRoute CRD: %v", err)
	}
}

// Where Istio runs, the Gateway API CRDs are installed by their own
// Application, in a wave before istiod's, from the upstream tag, allowed by
// the platform project; where it does not, they are not.
func TestGatewayAPICRDsApplication(t *testing.T) {
	p, tr := example(t)
	for _, env := range p.EnvironmentList {
		o := read(t, tr, env.Name)
		var crds, istiod *argocd.Deployed
		for i, a := range o.Applications {
			switch a.Metadata.Name {
			case argocd.GatewayAPIApp:
				crds = &o.Applications[i]
			case "istiod":
				istiod = &o.Applications[i]
			}
		}
		if !p.Addons.Istio.In(env.Name) {
			if crds != nil {
				t.Errorf("%s: CRDs installed without Istio", env.Name)
			}
			continue
		}
		if crds == nil || istiod == nil {
			t.Fatalf("%s: gateway-api-crds %v, istiod %v", env.Name, crds != nil, istiod != nil)
		}
		s := crds.Spec.Source
		if s == nil || s.RepoURL != argocd.GatewayAPIRepo || s.TargetRevision != argocd.GatewayAPIVersion || s.Path != argocd.GatewayAPIPath {
			t.Errorf("%s: source %+v", env.Name, s)
		}
		if w, wi := o.Waves["Application/"+argocd.GatewayAPIApp], o.Waves["Application/istiod"]; w >= wi || w != addons.WaveOperators {
			t.Errorf("%s: CRDs in wave %d, istiod in %d", env.Name, w, wi)
		}
		if err := o.Projects[crds.Spec.Project].Permits(crds.Application); err != nil {
			t.Errorf("%s: %v", env.Name, err)
		}
	}
}
