package kustomize_test

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"

	"github.com/idpgen/idpgen/internal/crdschema"
	"github.com/idpgen/idpgen/internal/emit/kustomize"
	"github.com/idpgen/idpgen/internal/meshnames"
	"github.com/idpgen/idpgen/internal/model"
	"github.com/idpgen/idpgen/internal/render"
	"github.com/idpgen/idpgen/internal/synth"
	"github.com/idpgen/idpgen/internal/traffic"
	"github.com/idpgen/idpgen/internal/tree"
)

var istio struct {
	once sync.Once
	set  *crdschema.Set
	err  error
}

func istioSet(t *testing.T) *crdschema.Set {
	t.Helper()
	istio.once.Do(func() {
		dir, err := crdschema.ModuleDir(crdschema.Istio)
		if err != nil {
			istio.err = err
			return
		}
		istio.set, istio.err = crdschema.Load(filepath.Join(dir, "manifests", "charts", "base", "files", "crd-all.gen.yaml"))
	})
	if istio.err != nil {
		t.Fatalf("the Istio CRDs are read from the Go module cache: %v", istio.err)
	}
	return istio.set
}

// validateIstio validates an Istio object strictly against Istio's own
// CRDs (from the istio.io/istio module pinned in crdschema/pin) and returns
// it; nil for a kind of another group.
func validateIstio(t *testing.T, obj map[string]any) any {
	t.Helper()
	if av, _ := obj["apiVersion"].(string); !strings.Contains(av, "istio.io/") {
		return nil
	}
	if err := istioSet(t).Validate(obj); err != nil {
		t.Errorf("%v", err)
	}
	return obj
}

// The Istio validation is strict: a misspelt field and a wrong enum fail,
// a valid object passes.
func TestIstioValidationIsStrict(t *testing.T) {
	set := istioSet(t)
	ok := map[string]any{"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication", "metadata": map[string]any{"name": "ok"},
		"spec": map[string]any{"mtls": map[string]any{"mode": "STRICT"}}}
	if err := set.Validate(ok); err != nil {
		t.Fatalf("a valid PeerAuthentication was refused: %v", err)
	}
	for name, obj := range map[string]map[string]any{
		"unknown field": {"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy", "metadata": map[string]any{"name": "x"},
			"spec": map[string]any{"rules": []any{map[string]any{"to": []any{map[string]any{"operation": map[string]any{"port": []any{"80"}}}}}}}},
		"bad mode": {"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication", "metadata": map[string]any{"name": "x"},
			"spec": map[string]any{"mtls": map[string]any{"mode": "STRICTER"}}},
	} {
		if err := set.Validate(obj); err == nil {
			t.Errorf("%s: %v was accepted", name, obj)
		}
	}
}

// cluster is one environment as the API server would hold it after Argo CD
// applied the rendered tree: pods (one per workload, with the labels and
// service account of its pod template), namespaces (with the label the API
// server adds) and the traffic policies, all parsed from the built
// kustomizations. The functions below evaluate NetworkPolicy and Istio
// authorization semantics over it; nothing is matched as text.
type cluster struct {
	namespaces map[string]map[string]string // name -> labels
	pods       []*pod
	netpols    []*networkingv1.NetworkPolicy
	authz      []map[string]any
}

type pod struct {
	name, namespace, serviceAccount string
	labels                          map[string]string
	ip                              netip.Addr
}

func (c *cluster) addPod(name, ns, sa string, l map[string]string, ip netip.Addr) *pod {
	if c.namespaces[ns] == nil {
		c.namespaces[ns] = map[string]string{}
	}
	c.namespaces[ns][kustomize.NamespaceLabel] = ns
	p := &pod{name: name, namespace: ns, serviceAccount: sa, labels: l, ip: ip}
	c.pods = append(c.pods, p)
	return p
}

func clusterOf(t *testing.T, objs []map[string]any, vpc netip.Prefix) *cluster {
	c := &cluster{namespaces: map[string]map[string]string{}}
	ip := vpc.Addr().Next()
	for _, o := range objs {
		switch x := decodeStrict(t, o).(type) {
		case *corev1.Namespace:
			l := map[string]string{}
			for k, v := range x.Labels {
				l[k] = v
			}
			l[kustomize.NamespaceLabel] = x.Name // set by the API server
			c.namespaces[x.Name] = l
		case *appsv1.Deployment:
			c.addPod(x.Name, x.Namespace, x.Spec.Template.Spec.ServiceAccountName, x.Spec.Template.Labels, ip)
			ip = ip.Next()
		case *appsv1.StatefulSet:
			c.addPod(x.Name, x.Namespace, x.Spec.Template.Spec.ServiceAccountName, x.Spec.Template.Labels, ip)
			ip = ip.Next()
		case *networkingv1.NetworkPolicy:
			c.netpols = append(c.netpols, x)
		case map[string]any:
			if x["kind"] == "AuthorizationPolicy" {
				c.authz = append(c.authz, x)
			}
		}
	}
	return c
}

func selects(t *testing.T, sel *metav1.LabelSelector, l map[string]string) bool {
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		t.Fatal(err)
	}
	return s.Matches(labels.Set(l))
}

// peerMatches is NetworkPolicyPeer semantics: an ipBlock matches by
// address; otherwise a nil namespaceSelector means the policy's namespace
// and a nil podSelector every pod of the selected namespaces.
func (c *cluster) peerMatches(t *testing.T, policyNS string, peer networkingv1.NetworkPolicyPeer, other *pod) bool {
	if peer.IPBlock != nil {
		cidr := netip.MustParsePrefix(peer.IPBlock.CIDR)
		if !cidr.Contains(other.ip) {
			return false
		}
		for _, e := range peer.IPBlock.Except {
			if netip.MustParsePrefix(e).Contains(other.ip) {
				return false
			}
		}
		return true
	}
	if peer.NamespaceSelector == nil {
		if other.namespace != policyNS {
			return false
		}
	} else if !selects(t, peer.NamespaceSelector, c.namespaces[other.namespace]) {
		return false
	}
	return peer.PodSelector == nil || selects(t, peer.PodSelector, other.labels)
}

func portMatches(ports []networkingv1.NetworkPolicyPort, proto corev1.Protocol, port int32) bool {
	if len(ports) == 0 {
		return true
	}
	for _, p := range ports {
		pp := corev1.ProtocolTCP
		if p.Protocol != nil {
			pp = *p.Protocol
		}
		if pp != proto {
			continue
		}
		if p.Port == nil {
			return true
		}
		end := p.Port.IntVal
		if p.EndPort != nil {
			end = *p.EndPort
		}
		if p.Port.IntVal <= port && port <= end {
			return true
		}
	}
	return false
}

// allowed is whether from may open a connection to to:port: the egress
// policies of from's pod and the ingress policies of to's pod must both
// allow it (a pod no policy of a direction selects is open in it).
func (c *cluster) allowed(t *testing.T, from, to *pod, proto corev1.Protocol, port int32) bool {
	dir := func(subject, other *pod, ty networkingv1.PolicyType) bool {
		isolated := false
		for _, np := range c.netpols {
			if np.Namespace != subject.namespace || !slices.Contains(np.Spec.PolicyTypes, ty) || !selects(t, &np.Spec.PodSelector, subject.labels) {
				continue
			}
			isolated = true
			if ty == networkingv1.PolicyTypeIngress {
				for _, r := range np.Spec.Ingress {
					if portMatches(r.Ports, proto, port) && (len(r.From) == 0 || slices.ContainsFunc(r.From, func(p networkingv1.NetworkPolicyPeer) bool { return c.peerMatches(t, np.Namespace, p, other) })) {
						return true
					}
				}
			} else {
				for _, r := range np.Spec.Egress {
					if portMatches(r.Ports, proto, port) && (len(r.To) == 0 || slices.ContainsFunc(r.To, func(p networkingv1.NetworkPolicyPeer) bool { return c.peerMatches(t, np.Namespace, p, other) })) {
						return true
					}
				}
			}
		}
		return !isolated
	}
	return dir(from, to, networkingv1.PolicyTypeEgress) && dir(to, from, networkingv1.PolicyTypeIngress)
}

// authorized is Istio ALLOW-policy semantics at L4: with no ALLOW policy
// selecting the pod everything is allowed; otherwise a rule must match
// (every from and to clause present must match; a missing clause matches
// anything). principal is "" for plain text (no identity).
func (c *cluster) authorized(t *testing.T, to *pod, principal string, port int32) bool {
	selected, ok := false, false
	for _, ap := range c.authz {
		md := ap["metadata"].(map[string]any)
		ns := md["namespace"].(string)
		spec, _ := ap["spec"].(map[string]any)
		if ns != to.namespace && ns != traffic.RootNamespace {
			continue
		}
		if s, _ := spec["selector"].(map[string]any); s != nil {
			ml := map[string]string{}
			for k, v := range s["matchLabels"].(map[string]any) {
				ml[k] = v.(string)
			}
			if !selects(t, &metav1.LabelSelector{MatchLabels: ml}, to.labels) {
				continue
			}
		}
		if a, _ := spec["action"].(string); a != "" && a != "ALLOW" {
			t.Fatalf("unexpected action %s", a)
		}
		selected = true
		rules, _ := spec["rules"].([]any)
		for _, r := range rules {
			rule := r.(map[string]any)
			fromOK := rule["from"] == nil
			for _, f := range asList(rule["from"]) {
				src := f.(map[string]any)["source"].(map[string]any)
				for k := range src {
					if k != "principals" {
						t.Fatalf("source field %s is not evaluated by this test", k)
					}
				}
				if slices.Contains(strs(src["principals"]), principal) && principal != "" {
					fromOK = true
				}
			}
			toOK := rule["to"] == nil
			for _, o := range asList(rule["to"]) {
				op := o.(map[string]any)["operation"].(map[string]any)
				for k := range op {
					if k != "ports" {
						t.Fatalf("operation field %s needs L7 (a waypoint) or is not evaluated by this test", k)
					}
				}
				if slices.Contains(strs(op["ports"]), strconv.Itoa(int(port))) {
					toOK = true
				}
			}
			if fromOK && toOK {
				ok = true
			}
		}
	}
	return !selected || ok
}

func asList(v any) []any { l, _ := v.([]any); return l }

func strs(v any) []string {
	var out []string
	for _, x := range asList(v) {
		out = append(out, x.(string))
	}
	return out
}

// checkTrafficProperties: for every pair of services (a, b) of every
// environment and every port p of b, the NetworkPolicies let a reach b:p
// (and ztunnel's HBONE port) iff a lists b in dependsOn; the ingress
// gateway reaches b:p iff b is public on p; the monitoring agent iff p is a
// metrics port; a pod of a platform namespace never. The
// AuthorizationPolicies allow a's identity on b:p iff a depends on b, the
// gateway's iff b is public on p, plain text iff p is a metrics port.
func checkTrafficProperties(t *testing.T, p *model.Platform, out *tree.Tree) (pairs int) {
	for _, env := range p.EnvironmentList {
		vpc := netip.MustParsePrefix(env.Network.VPCCIDR)
		c := clusterOf(t, build(t, out, kustomize.EnvironmentDir(env.Name)), vpc)
		mesh := p.Addons.Istio.In(env.Name)
		byName := map[string]*pod{}
		var services []*pod
		for _, pd := range c.pods {
			byName[pd.name] = pd
			services = append(services, pd)
		}
		ip := c.pods[len(c.pods)-1].ip.Next()
		gateway := c.addPod("gateway", meshnames.IngressNamespace, meshnames.GatewayServiceAccount(meshnames.InternetFacing),
			map[string]string{meshnames.GatewayNameLabel: meshnames.Gateway(meshnames.InternetFacing)}, ip.Next())
		agent := c.addPod("agent", p.Addons.Datadog.Namespace, "datadog", map[string]string{"app": "datadog-agent"}, ip.Next().Next())
		argo := c.addPod("argocd-server", p.Addons.ArgoCD.Namespace, "argocd-server", map[string]string{"app.kubernetes.io/name": "argocd-server"}, ip.Next().Next().Next())
		dns := c.addPod("coredns", traffic.DNSNamespace, "coredns", map[string]string{traffic.DNSPodLabelKey: traffic.DNSPodLabel}, ip.Next().Next().Next().Next())
		monitoring := p.Addons.Datadog.In(env.Name)

		for _, b := range services {
			svc := p.Services[b.name]
			if !svc.Enabled(env.Name) {
				t.Fatalf("%s: %s is deployed but disabled", env.Name, b.name)
			}
			if !c.allowed(t, b, dns, corev1.ProtocolUDP, 53) || !c.allowed(t, b, dns, corev1.ProtocolTCP, 53) {
				t.Errorf("%s: %s cannot resolve names", env.Name, b.name)
			}
			ports := slices.Clone(svc.Ports)
			if mesh && len(ports) > 0 {
				ports = append(ports, model.Port{Name: "hbone", Port: traffic.HBONEPort, Protocol: "TCP"})
			}
			for _, port := range ports {
				proto := corev1.Protocol(port.Protocol)
				hbone := port.Port == traffic.HBONEPort
				for _, a := range services {
					if a == b {
						continue
					}
					pairs++
					want := slices.Contains(p.Services[a.name].DependsOn, b.name)
					if got := c.allowed(t, a, b, proto, port.Port); got != want {
						t.Errorf("%s: NetworkPolicies: %s -> %s:%d allowed=%v, want %v (dependsOn)", env.Name, a.name, b.name, port.Port, got, want)
					}
					if mesh && !hbone {
						if got := c.authorized(t, b, meshnames.Principal(a.namespace, a.serviceAccount), port.Port); got != (want || port.Metrics && monitoring) {
							t.Errorf("%s: AuthorizationPolicy: %s -> %s:%d authorized=%v, want %v", env.Name, a.name, b.name, port.Port, got, want)
						}
					}
				}
				public := svc.Public != nil && (svc.Public.Port == port.Name || hbone)
				if got := c.allowed(t, gateway, b, proto, port.Port); got != public {
					t.Errorf("%s: NetworkPolicies: gateway -> %s:%d allowed=%v, want %v", env.Name, b.name, port.Port, got, public)
				}
				scraped := port.Metrics && monitoring
				if got := c.allowed(t, agent, b, proto, port.Port); got != scraped {
					t.Errorf("%s: NetworkPolicies: monitoring -> %s:%d allowed=%v, want %v", env.Name, b.name, port.Port, got, scraped)
				}
				if c.allowed(t, argo, b, proto, port.Port) {
					t.Errorf("%s: NetworkPolicies: a platform pod reaches %s:%d", env.Name, b.name, port.Port)
				}
				if mesh && !hbone {
					gw := meshnames.Principal(gateway.namespace, gateway.serviceAccount)
					if got := c.authorized(t, b, gw, port.Port); got != (svc.Public != nil && svc.Public.Port == port.Name || scraped) {
						t.Errorf("%s: AuthorizationPolicy: gateway -> %s:%d authorized=%v", env.Name, b.name, port.Port, got)
					}
					if got := c.authorized(t, b, "", port.Port); got != scraped {
						t.Errorf("%s: AuthorizationPolicy: plain text -> %s:%d authorized=%v, want %v", env.Name, b.name, port.Port, got, scraped)
					}
				}
			}
		}
		if !c.allowed(t, argo, gateway, corev1.ProtocolTCP, 8080) {
			t.Errorf("%s: a platform namespace is restricted", env.Name)
		}
	}
	return pairs
}

func TestTrafficPropertiesOfTheExample(t *testing.T) {
	p, out := renderExample(t)
	if n := checkTrafficProperties(t, p, out); n < 100 {
		t.Errorf("only %d pairs checked", n)
	}
}

func TestTrafficPropertiesOfSyntheticPlatforms(t *testing.T) {
	for _, o := range []synth.Options{{Services: 40, Environments: 2, Teams: 3}, {Services: 90, Environments: 1, Teams: 4}} {
		t.Run(fmt.Sprintf("%d-services", o.Services), func(t *testing.T) {
			dir := filepath.Join("..", "..", "..", ".bench", "traffic-"+strings.ReplaceAll(t.Name(), "/", "-"))
			t.Cleanup(func() { os.RemoveAll(dir) })
			if err := synth.Write(dir, o); err != nil {
				t.Fatal(err)
			}
			p, err := render.Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			out := tree.New()
			if err := kustomize.New().Emit(p, out); err != nil {
				t.Fatal(err)
			}
			public, metrics, egress := 0, 0, 0
			for _, s := range p.ServiceList {
				if s.Public != nil {
					public++
				}
				if slices.ContainsFunc(s.Ports, func(p model.Port) bool { return p.Metrics }) {
					metrics++
				}
				egress += len(s.Egress)
			}
			if public == 0 || metrics == 0 || egress == 0 {
				t.Fatalf("the synthetic platform lacks a case: %d public, %d with metrics, %d egress", public, metrics, egress)
			}
			checkTrafficProperties(t, p, out)
		})
	}
}

// dependsOn changes the output: dropping one edge closes exactly that
// path, in the NetworkPolicies and the AuthorizationPolicy.
func TestDependsOnChangesTraffic(t *testing.T) {
	p, before := renderExample(t)
	sf := p.Services["storefront"]
	sf.DependsOn = slices.DeleteFunc(slices.Clone(sf.DependsOn), func(d string) bool { return d == "cart" })
	after := tree.New()
	if err := kustomize.New().Emit(p, after); err != nil {
		t.Fatal(err)
	}
	for _, env := range p.EnvironmentList {
		for _, svc := range []string{"storefront", "cart"} {
			f := filepath.Join(kustomize.OverlayDir(env.Name, svc), kustomize.TrafficFile)
			b, _ := before.Get(f)
			a, _ := after.Get(f)
			if string(a.Data) == string(b.Data) {
				t.Errorf("%s: unchanged after dropping storefront -> cart", f)
			}
		}
		f := filepath.Join(kustomize.OverlayDir(env.Name, "catalog"), kustomize.TrafficFile)
		b, _ := before.Get(f)
		a, _ := after.Get(f)
		if string(a.Data) != string(b.Data) {
			t.Errorf("%s changed, but catalog's edges did not", f)
		}
	}
	checkTrafficProperties(t, p, after)
}

// The namespace-wide policies deny everything but DNS, and carry valid
// YAML documents next to the Namespace.
func TestNamespaceDefaults(t *testing.T) {
	p, out := renderExample(t)
	for _, env := range p.EnvironmentList {
		for _, team := range p.TeamList {
			for _, ns := range team.Namespaces {
				data, _ := out.Get(filepath.Join(kustomize.NamespacesDir(env.Name), ns+".yaml"))
				var names []string
				for _, doc := range strings.Split(string(data.Data), "\n---\n") {
					var np networkingv1.NetworkPolicy
					if err := yaml.Unmarshal([]byte(doc), &np); err != nil {
						t.Fatal(err)
					}
					if np.Kind == "NetworkPolicy" {
						names = append(names, np.Name)
						if np.Namespace != ns || len(np.Spec.PodSelector.MatchLabels) != 0 {
							t.Errorf("%s/%s: %+v", ns, np.Name, np.ObjectMeta)
						}
					}
				}
				if !slices.Equal(names, []string{kustomize.PolicyDefaultDeny, kustomize.PolicyAllowDNS}) {
					t.Errorf("%s %s: policies %v", env.Name, ns, names)
				}
			}
		}
	}
}

// Each resilience field changes the storefront's DestinationRule (the only
// public service of the example); without resilience there is none.
func TestResilienceChangesOutput(t *testing.T) {
	p, base := renderExample(t)
	sf := p.Services["storefront"]
	file := filepath.Join(kustomize.OverlayDir("prod", "storefront"), kustomize.TrafficFile)
	render := func() string {
		out := tree.New()
		if err := kustomize.New().Emit(p, out); err != nil {
			t.Fatal(err)
		}
		f, _ := out.Get(file)
		return string(f.Data)
	}
	f, _ := base.Get(file)
	before := string(f.Data)
	if !strings.Contains(before, "kind: DestinationRule") {
		t.Fatal("the example's storefront has no DestinationRule")
	}
	orig := *sf.Resilience
	n := int32(7)
	for name, change := range map[string]func(r *model.Resilience){
		"maxConnections":       func(r *model.Resilience) { r.MaxConnections = &n },
		"maxPendingRequests":   func(r *model.Resilience) { r.MaxPendingRequests = &n },
		"consecutive5xxErrors": func(r *model.Resilience) { r.Consecutive5xxErrors = &n },
		"ejectionSeconds":      func(r *model.Resilience) { r.EjectionSeconds = 7 },
	} {
		r := orig
		change(&r)
		sf.Resilience = &r
		if render() == before {
			t.Errorf("changing resilience.%s changes nothing", name)
		}
	}
	sf.Resilience = nil
	if strings.Contains(render(), "kind: DestinationRule") {
		t.Error("a DestinationRule without resilience")
	}
}
