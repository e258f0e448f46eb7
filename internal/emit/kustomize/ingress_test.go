package kustomize_test

import (
	"maps"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"

	"github.com/idpgen/idpgen/internal/crdschema"
	"github.com/idpgen/idpgen/internal/emit/kustomize"
	"github.com/idpgen/idpgen/internal/meshnames"
	"github.com/idpgen/idpgen/internal/model"
	"github.com/idpgen/idpgen/internal/tree"
)

// gatewayCRDs are the upstream Gateway API CRDs (standard channel) at the
// version pinned in crdschema/pin, loaded once.
var gatewayCRDs = sync.OnceValues(func() (*crdschema.Set, error) {
	dir, err := crdschema.ModuleDir(crdschema.GatewayAPI)
	if err != nil {
		return nil, err
	}
	files, err := filepath.Glob(filepath.Join(dir, "config", "crd", "standard", "gateway.networking.k8s.io_*.yaml"))
	if err != nil {
		return nil, err
	}
	return crdschema.Load(files...)
})

// validateGatewayAPI checks obj against its upstream CRD: unknown fields
// are errors, then the OpenAPI schema (enums, patterns, bounds) applies.
func validateGatewayAPI(t *testing.T, obj map[string]any) {
	t.Helper()
	set, err := gatewayCRDs()
	if err != nil {
		t.Fatal(err)
	}
	if err := set.Validate(obj); err != nil {
		t.Error(err)
	}
}

// ingressView is what an environment's routing amounts to, read back from
// kustomize builds of the rendered tree.
type ingressView struct {
	gateways   map[string]*kustomize.Gateway   // by name
	routes     map[string]*kustomize.HTTPRoute // service routes, by service
	redirects  map[string]*kustomize.HTTPRoute // by gateway
	namespaces map[string]*corev1.Namespace
	services   map[string]*corev1.Service // by namespace/name
	configMaps map[string]*corev1.ConfigMap
}

func viewOf(t *testing.T, p *model.Platform, out *tree.Tree, env *model.Environment) ingressView {
	t.Helper()
	v := ingressView{map[string]*kustomize.Gateway{}, map[string]*kustomize.HTTPRoute{}, map[string]*kustomize.HTTPRoute{}, map[string]*corev1.Namespace{}, map[string]*corev1.Service{}, map[string]*corev1.ConfigMap{}}
	for _, o := range build(t, out, kustomize.EnvironmentDir(env.Name)) {
		switch x := decodeStrict(t, o).(type) {
		case *kustomize.Gateway:
			v.gateways[x.Metadata.Name] = x
		case *kustomize.HTTPRoute:
			if x.Metadata.Namespace == meshnames.IngressNamespace {
				v.redirects[x.Spec.ParentRefs[0].Name] = x
			} else {
				v.routes[x.Metadata.Name] = x
			}
		case *corev1.Namespace:
			v.namespaces[x.Name] = x
		case *corev1.Service:
			v.services[x.Namespace+"/"+x.Name] = x
		case *corev1.ConfigMap:
			v.configMaps[x.Namespace+"/"+x.Name] = x
		}
	}
	return v
}

// Every public service running in an environment is reachable: its route
// attaches to the https listener of its scheme's Gateway, which admits
// routes from the route's namespace (the selector evaluated on the rendered
// Namespace), for its host and path, to a port of its Service that speaks
// HTTP; each Gateway is behind a load balancer of its scheme with the
// environment's certificates, and its port 80 only redirects to HTTPS. No
// Gateway is rendered for a scheme no service uses.
func TestPublicServicesAreRouted(t *testing.T) {
	p, out := renderExample(t)
	for _, env := range p.EnvironmentList {
		checkRouting(t, p, env, viewOf(t, p, out, env))
	}
}

func checkRouting(t *testing.T, p *model.Platform, env *model.Environment, v ingressView) {
	t.Helper()
	schemes := map[string]bool{}
	for _, svc := range p.ServiceList {
		r := v.routes[svc.Name]
		if svc.Public == nil || !svc.Enabled(env.Name) {
			if r != nil {
				t.Errorf("%s: %s is not public here but has a route", env.Name, svc.Name)
			}
			continue
		}
		schemes[svc.Public.Scheme] = true
		if r == nil {
			t.Errorf("%s: public service %s has no HTTPRoute", env.Name, svc.Name)
			continue
		}
		if r.Metadata.Namespace != svc.Namespace || !slices.Equal(r.Spec.Hostnames, []string{svc.Public.Host}) ||
			len(r.Spec.Rules) != 1 || r.Spec.Rules[0].Matches[0].Path != (kustomize.PathMatch{Type: "PathPrefix", Value: svc.Public.Path}) {
			t.Errorf("%s: %s: route %+v does not match exposure %+v", env.Name, svc.Name, r, *svc.Public)
		}
		ref := r.Spec.ParentRefs[0]
		gw := v.gateways[ref.Name]
		if len(r.Spec.ParentRefs) != 1 || gw == nil || ref.Namespace != meshnames.IngressNamespace || ref.SectionName != kustomize.ListenerHTTPS || ref.Name != meshnames.Gateway(svc.Public.Scheme) {
			t.Errorf("%s: %s: parentRefs %+v do not name the https listener of a rendered %s gateway", env.Name, svc.Name, r.Spec.ParentRefs, svc.Public.Scheme)
			continue
		}
		i := slices.IndexFunc(gw.Spec.Listeners, func(l kustomize.Listener) bool { return l.Name == ref.SectionName })
		ns := v.namespaces[svc.Namespace]
		if i < 0 || ns == nil || !admits(t, gw.Spec.Listeners[i].AllowedRoutes.Namespaces, ns) {
			t.Errorf("%s: %s: listener %s of gateway %s does not admit routes from namespace %s", env.Name, svc.Name, ref.SectionName, gw.Metadata.Name, svc.Namespace)
		}
		backend := r.Spec.Rules[0].BackendRefs
		s := v.services[svc.Namespace+"/"+svc.Name]
		if len(backend) != 1 || s == nil || backend[0].Name != svc.Name {
			t.Errorf("%s: %s: backendRefs %+v do not name the service", env.Name, svc.Name, backend)
			continue
		}
		j := slices.IndexFunc(s.Spec.Ports, func(sp corev1.ServicePort) bool { return sp.Port == backend[0].Port })
		if j < 0 || s.Spec.Ports[j].Name != svc.Public.Port {
			t.Errorf("%s: %s: backend port %d is not the Service port %q", env.Name, svc.Name, backend[0].Port, svc.Public.Port)
		} else if port, _ := svc.Port(s.Spec.Ports[j].Name); !port.SpeaksHTTP() {
			t.Errorf("%s: %s: backend port %q does not speak HTTP", env.Name, svc.Name, port.Name)
		}
	}
	if len(v.gateways) != len(schemes) {
		t.Errorf("%s: %d gateways for the schemes in use %v", env.Name, len(v.gateways), schemes)
	}
	for name, gw := range v.gateways {
		a := gw.Spec.Infrastructure.Annotations
		const lb = "service.beta.kubernetes.io/aws-load-balancer-"
		if !schemes[name] || gw.Metadata.Namespace != meshnames.IngressNamespace || gw.Spec.GatewayClassName != meshnames.GatewayClass ||
			a[lb+"scheme"] != name || a[lb+"type"] != "external" || a[lb+"nlb-target-type"] != "ip" ||
			a[lb+"ssl-cert"] != strings.Join(env.Ingress.Certificates, ",") || a[lb+"ssl-ports"] != "443" {
			t.Errorf("%s: gateway %s: %+v", env.Name, name, gw)
		}
		red := v.redirects[name]
		if red == nil || red.Spec.ParentRefs[0].SectionName != kustomize.ListenerHTTP || len(red.Spec.Rules) != 1 || len(red.Spec.Hostnames) != 0 ||
			red.Spec.Rules[0].BackendRefs != nil || red.Spec.Rules[0].Filters[0].RequestRedirect == nil ||
			*red.Spec.Rules[0].Filters[0].RequestRedirect != (kustomize.RequestRedirect{Scheme: "https", StatusCode: 301}) {
			t.Errorf("%s: gateway %s: HTTP is not redirected to HTTPS: %+v", env.Name, name, red)
		}
		if http := gw.Spec.Listeners[0]; http.Port != 80 || http.Name != kustomize.ListenerHTTP || http.AllowedRoutes.Namespaces.From != "Same" {
			t.Errorf("%s: gateway %s: port 80 listener %+v must only take the redirect", env.Name, name, http)
		}
		if https := gw.Spec.Listeners[1]; https.Port != 443 || https.Protocol != "HTTP" {
			t.Errorf("%s: gateway %s: listener %+v: TLS ends at the load balancer, 443 speaks HTTP", env.Name, name, https)
		}
		checkGatewayOptions(t, env, gw, v)
		// Only team namespaces may attach to the routing listener.
		if ns := v.namespaces[meshnames.IngressNamespace]; ns == nil || admits(t, gw.Spec.Listeners[1].AllowedRoutes.Namespaces, ns) {
			t.Errorf("%s: gateway %s admits routes from a namespace that is not a team's", env.Name, name)
		}
	}
}

func admits(t *testing.T, from kustomize.RouteNamespaces, ns *corev1.Namespace) bool {
	t.Helper()
	switch from.From {
	case "All":
		return true
	case "Same":
		return ns.Name == meshnames.IngressNamespace
	case "Selector":
		sel, err := metav1.LabelSelectorAsSelector(from.Selector)
		if err != nil {
			t.Fatal(err)
		}
		return sel.Matches(labels.Set(ns.Labels))
	}
	return false
}

// Each field of an exposure, and the environment's certificates, change
// the rendered routing; removing every exposure removes the gateways.
func TestExposureFieldsChangeOutput(t *testing.T) {
	p, _ := renderExample(t)
	svc, env := p.Services["storefront"], p.EnvironmentList[0]
	svc.Ports = append(svc.Ports, model.Port{Name: "http-alt", Port: 8081, Protocol: "TCP"})
	rerender := func() ingressView {
		t.Helper()
		out := tree.New()
		if err := kustomize.New().Emit(p, out); err != nil {
			t.Fatal(err)
		}
		v := viewOf(t, p, out, env)
		checkRouting(t, p, env, v)
		return v
	}
	before := rerender().routes["storefront"]
	if before == nil {
		t.Fatal("storefront is public in the example but has no route")
	}
	for _, change := range []struct {
		field string
		set   func()
		check func(v ingressView) bool
	}{
		{"host", func() { svc.Public.Host = "www.acme.example" }, func(v ingressView) bool {
			return v.routes["storefront"].Spec.Hostnames[0] == "www.acme.example"
		}},
		{"path", func() { svc.Public.Path = "/shop" }, func(v ingressView) bool {
			return v.routes["storefront"].Spec.Rules[0].Matches[0].Path.Value == "/shop"
		}},
		{"port", func() { svc.Public.Port = "http-alt" }, func(v ingressView) bool {
			return v.routes["storefront"].Spec.Rules[0].BackendRefs[0].Port == 8081
		}},
		{"scheme", func() { svc.Public.Scheme = meshnames.Internal }, func(v ingressView) bool {
			// catalog is the example's other, internal, exposure: no
			// internet-facing gateway is left.
			return v.routes["storefront"].Spec.ParentRefs[0].Name == meshnames.Gateway(meshnames.Internal) && v.gateways[meshnames.Gateway(meshnames.InternetFacing)] == nil
		}},
		{"certificates", func() {
			env.Ingress.Certificates = append(env.Ingress.Certificates, "arn:aws:acm:eu-west-1:111111111111:certificate/00000000-0000-4000-8000-000000000000")
		}, func(v ingressView) bool {
			return strings.HasSuffix(v.gateways[meshnames.Gateway(meshnames.Internal)].Spec.Infrastructure.Annotations["service.beta.kubernetes.io/aws-load-balancer-ssl-cert"], ",arn:aws:acm:eu-west-1:111111111111:certificate/00000000-0000-4000-8000-000000000000")
		}},
	} {
		change.set()
		if !change.check(rerender()) {
			t.Errorf("changing %s did not change the routing", change.field)
		}
	}
	for _, s := range p.ServiceList {
		s.Public = nil
	}
	out := tree.New()
	if err := kustomize.New().Emit(p, out); err != nil {
		t.Fatal(err)
	}
	for _, f := range out.Files() {
		if strings.HasPrefix(f.Path, kustomize.IngressDir(env.Name)+"/") || path.Base(f.Path) == "httproute.yaml" {
			t.Errorf("no service is public, yet %s is rendered", f.Path)
		}
	}
	if v := viewOf(t, p, out, env); len(v.gateways)+len(v.routes)+len(v.redirects) != 0 {
		t.Errorf("no service is public, yet the environment builds %d gateways and %d routes", len(v.gateways), len(v.routes)+len(v.redirects))
	}
}

// A port's appProtocol is the Service port's.
func TestAppProtocolOnServicePort(t *testing.T) {
	p, _ := renderExample(t)
	svc := p.Services["catalog"]
	svc.Ports[1].AppProtocol = "tcp"
	out := tree.New()
	if err := kustomize.New().Emit(p, out); err != nil {
		t.Fatal(err)
	}
	for _, o := range build(t, out, kustomize.OverlayDir(p.EnvironmentList[0].Name, svc.Name)) {
		if s, ok := decodeStrict(t, o).(*corev1.Service); ok {
			for i, sp := range s.Spec.Ports {
				want := svc.Ports[i].AppProtocol
				if got := sp.AppProtocol; (want == "") != (got == nil) || (got != nil && *got != want) {
					t.Errorf("port %s: appProtocol %v, want %q", sp.Name, got, want)
				}
			}
			return
		}
	}
	t.Fatal("no Service")
}

// checkGatewayOptions decodes the patches Istio applies to the gateway's
// HorizontalPodAutoscaler, PodDisruptionBudget and Deployment strictly into
// their API types: a misspelt field would otherwise be dropped by Istio's
// strategic merge without a word.
func checkGatewayOptions(t *testing.T, env *model.Environment, gw *kustomize.Gateway, v ingressView) {
	t.Helper()
	ref := gw.Spec.Infrastructure.ParametersRef
	if ref == nil || ref.Group != "" || ref.Kind != "ConfigMap" {
		t.Errorf("%s: gateway %s: parametersRef %+v", env.Name, gw.Metadata.Name, ref)
		return
	}
	cm := v.configMaps[gw.Metadata.Namespace+"/"+ref.Name]
	if cm == nil {
		t.Errorf("%s: gateway %s: ConfigMap %s is not rendered", env.Name, gw.Metadata.Name, ref.Name)
		return
	}
	if len(cm.Data) != 3 {
		t.Errorf("%s: %s: keys %v, want the three Istio reads", env.Name, cm.Name, slices.Sorted(maps.Keys(cm.Data)))
	}
	var hpa autoscalingv2.HorizontalPodAutoscaler
	var pdb policyv1.PodDisruptionBudget
	var dep appsv1.Deployment
	for key, into := range map[string]any{"horizontalPodAutoscaler": &hpa, "podDisruptionBudget": &pdb, "deployment": &dep} {
		if err := yaml.UnmarshalStrict([]byte(cm.Data[key]), into); err != nil {
			t.Errorf("%s: %s: %s: %v", env.Name, cm.Name, key, err)
		}
	}
	lo, hi := kustomize.GatewayReplicas(env)
	if hpa.Spec.MinReplicas == nil || *hpa.Spec.MinReplicas != lo || hpa.Spec.MaxReplicas != hi || lo < 1 || hi < lo {
		t.Errorf("%s: gateway %s: HPA %+v, want %d to %d replicas", env.Name, gw.Metadata.Name, hpa.Spec, lo, hi)
	}
	if env.Prod() && lo < 2 {
		t.Errorf("%s: a prod gateway may run as one pod", env.Name)
	}
	if pdb.Spec.MaxUnavailable == nil || pdb.Spec.MaxUnavailable.IntValue() != 1 {
		t.Errorf("%s: gateway %s: PDB %+v", env.Name, gw.Metadata.Name, pdb.Spec)
	}
	spread := dep.Spec.Template.Spec.TopologySpreadConstraints
	if len(spread) != 1 || spread[0].TopologyKey != "topology.kubernetes.io/zone" || spread[0].LabelSelector.MatchLabels[meshnames.GatewayNameLabel] != gw.Metadata.Name {
		t.Errorf("%s: gateway %s: spread %+v", env.Name, gw.Metadata.Name, spread)
	}
}
