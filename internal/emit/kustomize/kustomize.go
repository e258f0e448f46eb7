// Package kustomize emits the Kubernetes side of every service: a Kustomize
// base per service, and an overlay per environment that carries only what
// the environment changes (image, replicas, resources, variables, storage,
// scheduling on the on-demand pool) and its capacity objects (PDB, HPA,
// VPA: capacity.yaml), plus the team namespaces of each environment.
//
// Layout below generated/:
//
//	base/services/<service>/                 the service as declared
//	environments/<env>/services/<service>/   overlay: kustomize build here
//	environments/<env>/namespaces/           team namespaces
//	environments/<env>/cluster/              cluster-wide objects (storage class, priority classes)
//	environments/<env>/ingress/              ingress gateways (see ingress.go)
//	environments/<env>/kustomization.yaml    the whole environment
package kustomize

import (
	"encoding/json"
	"maps"
	"path"
	"runtime"
	"slices"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/util/validation"
	kusttypes "sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/resid"

	"github.com/idpgen/idpgen/internal/model"
	"github.com/idpgen/idpgen/internal/traffic"
	"github.com/idpgen/idpgen/internal/tree"
)

// Emitter writes the Kustomize bases and overlays.
type Emitter struct{}

// New returns the emitter.
func New() Emitter { return Emitter{} }

// Name identifies the emitter in errors.
func (Emitter) Name() string { return "kustomize" }

// BaseDir and OverlayDir are where a service's files live; other emitters
// (Argo CD) point at them.
func BaseDir(svc string) string         { return path.Join("base", "services", svc) }
func OverlayDir(env, svc string) string { return path.Join("environments", env, "services", svc) }
func ClusterDir(env string) string      { return path.Join("environments", env, "cluster") }
func NamespacesDir(env string) string   { return path.Join("environments", env, "namespaces") }
func EnvironmentDir(env string) string  { return path.Join("environments", env) }
func relToBase(env, svc string) string  { return path.Join("..", "..", "..", "..", BaseDir(svc)) }
func fileName(kind string) string       { return strings.ToLower(kind) + ".yaml" }

// Emit renders every service. Services are independent, so they are
// rendered in parallel; the tree sorts the result.
func (e Emitter) Emit(p *model.Platform, out *tree.Tree) error {
	jobs := make(chan *model.Service)
	errs := make([]error, len(p.ServiceList))
	index := make(map[*model.Service]int, len(p.ServiceList))
	for i, s := range p.ServiceList {
		index[s] = i
	}
	graphs := trafficGraphs(p) // traffic.go
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for svc := range jobs {
				errs[index[svc]] = e.service(p, svc, out, graphs)
			}
		}()
	}
	for _, s := range p.ServiceList {
		jobs <- s
	}
	close(jobs)
	wg.Wait()
	for _, env := range p.EnvironmentList {
		errs = append(errs, e.environment(p, env, out))
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

type files struct {
	emitter string
	dir     string
	out     *tree.Tree
	names   []string
	err     error
}

// add encodes objs into one YAML file in the directory.
func (f *files) add(name string, objs ...any) {
	if f.err != nil {
		return
	}
	data, err := tree.YAML(objs...)
	if err == nil {
		err = f.out.Add(f.emitter, path.Join(f.dir, name), data)
	}
	f.err = err
	f.names = append(f.names, name)
}

func kustomization() *kusttypes.Kustomization {
	k := &kusttypes.Kustomization{}
	k.APIVersion = kusttypes.KustomizationVersion
	k.Kind = kusttypes.KustomizationKind
	return k
}

func (e Emitter) service(p *model.Platform, svc *model.Service, out *tree.Tree, graphs map[string]*traffic.Graph) error {
	base := &files{emitter: e.Name(), dir: BaseDir(svc.Name), out: out}
	base.add("serviceaccount.yaml", serviceAccount(p, svc))
	wl, kind := workload(p, svc)
	base.add(fileName(kind), wl)
	if s := service(p, svc); s != nil {
		base.add("service.yaml", s)
	}
	if svc.Public != nil {
		base.add("httproute.yaml", httpRoute(p, svc)) // ingress.go
	}
	k := kustomization()
	k.Resources = slices.Clone(base.names)
	base.add("kustomization.yaml", k)
	if base.err != nil {
		return base.err
	}
	for _, env := range p.EnvironmentList {
		if !svc.Enabled(env.Name) {
			continue
		}
		if err := e.overlay(p, svc, kind, svc.In(env), out, graphs[env.Name]); err != nil {
			return err
		}
	}
	return nil
}

// overlay writes what env changes about the base, and nothing else.
func (e Emitter) overlay(p *model.Platform, svc *model.Service, kind string, w model.Workload, out *tree.Tree, g *traffic.Graph) error {
	env := w.Environment
	dir := &files{emitter: e.Name(), dir: OverlayDir(env.Name, svc.Name), out: out}
	k := kustomization()
	k.Resources = []string{relToBase(env.Name, svc.Name)}

	pairs := map[string]string{LabelEnvironment: env.Name}
	if v := versionLabel(w.Image); v != "" {
		pairs[LabelVersion] = v
	}
	datadogLabels(p, svc, env, pairs) // datadog.go
	k.Labels = []kusttypes.Label{{Pairs: pairs, IncludeTemplates: true}}

	img := kusttypes.Image{Name: svc.Image.Repository}
	if w.Image.Digest != "" {
		img.Digest = w.Image.Digest
	} else {
		img.NewTag = w.Image.Tag
	}
	k.Images = []kusttypes.Image{img}

	target := &kusttypes.Selector{ResId: resID("apps", "v1", kind, svc.Name)}
	switch {
	case w.Autoscaling == nil:
		k.Replicas = []kusttypes.Replica{{Name: svc.Name, Count: int64(w.Replicas)}}
	case svc.Autoscaling == nil:
		// Autoscaling only in this environment: take replicas away from
		// the workload so that it and the autoscaler don't fight.
		k.Patches = append(k.Patches, kusttypes.Patch{Target: target, Patch: `[{"op": "remove", "path": "/spec/replicas"}]`})
	}
	// The PDB and the autoscalers (see capacity.go).
	if objs := capacity(p, svc, kind, w); len(objs) > 0 {
		dir.add(CapacityFile, objs...)
		k.Resources = append(k.Resources, CapacityFile)
	}
	patch, err := onDemandPatch(p, svc, env, kind)
	if err != nil {
		return err
	}
	if patch != nil {
		k.Patches = append(k.Patches, *patch)
	}

	// One strategic-merge patch for the container: resources when they
	// differ, and the variables this environment adds or changes (env is
	// merged by name).
	container := map[string]any{"name": svc.Name}
	if w.Resources != svc.Resources {
		container["resources"] = resources(w.Resources)
	}
	var changed []map[string]string
	for _, name := range slices.Sorted(maps.Keys(w.Env)) {
		if old, ok := svc.Env[name]; !ok || old != w.Env[name] {
			changed = append(changed, map[string]string{"name": name, "value": w.Env[name]})
		}
	}
	if len(changed) > 0 {
		container["env"] = changed
	}
	if len(container) > 1 {
		name := "patch-" + fileName(kind)
		dir.add(name, map[string]any{
			"apiVersion": "apps/v1",
			"kind":       kind,
			"metadata":   map[string]any{"name": svc.Name, "namespace": svc.Namespace},
			"spec":       map[string]any{"template": map[string]any{"spec": map[string]any{"containers": []any{container}}}},
		})
		k.Patches = append(k.Patches, kusttypes.Patch{Path: name})
	}
	// After the variables' patch: the Datadog variables are appended after
	// every variable the service declares, and the policy evaluation's
	// strategic merge (apimachinery's) then orders the list exactly as
	// kustomize's own does (TestObjectsAreKustomizeBuild).
	dd, err := datadogPatch(p, svc, env, kind, pairs)
	if err != nil {
		return err
	}
	if dd != nil {
		k.Patches = append(k.Patches, *dd)
	}
	if svc.Storage != nil && w.StorageGiB != svc.Storage.SizeGiB {
		patch, err := replacePatch("/spec/volumeClaimTemplates/0/spec/resources/requests/storage", gib(w.StorageGiB))
		if err != nil {
			return err
		}
		k.Patches = append(k.Patches, kusttypes.Patch{Target: target, Patch: patch})
	}
	if env.Prod() && w.Replicas >= model.MinPodsInProd {
		// Prod must survive a zone (and so a node) loss: the soft zone
		// spread of the base becomes a hard one.
		patch, err := replacePatch("/spec/template/spec/topologySpreadConstraints/0", hardZoneSpread(svc, env.Network.AvailabilityZones))
		if err != nil {
			return err
		}
		k.Patches = append(k.Patches, kusttypes.Patch{Target: target, Patch: patch})
	}
	if n := g.Node(svc.Name); n != nil {
		dir.add(TrafficFile, trafficObjects(p, g, n)...) // traffic.go
		k.Resources = append(k.Resources, TrafficFile)
	}
	dir.add("kustomization.yaml", k)
	return dir.err
}

func resID(group, version, kind, name string) resid.ResId {
	return resid.ResId{Gvk: resid.Gvk{Group: group, Version: version, Kind: kind}, Name: name}
}

// versionLabel is the app.kubernetes.io/version of an image: its tag when
// that is a valid label value (a digest-pinned image has no version label).
func versionLabel(img model.Image) string {
	if img.Digest != "" || len(validation.IsValidLabelValue(img.Tag)) > 0 {
		return ""
	}
	return img.Tag
}

// environment writes the team namespaces and the environment's top-level
// kustomization, which builds everything deployed there.
func (e Emitter) environment(p *model.Platform, env *model.Environment, out *tree.Tree) error {
	nsDir := &files{emitter: e.Name(), dir: NamespacesDir(env.Name), out: out}
	for _, team := range p.TeamList {
		for _, ns := range team.Namespaces {
			nsDir.add(ns+".yaml", append([]any{namespace(p, team, ns, env)}, namespaceDefaults(p, ns, env)...)...)
		}
	}
	k := kustomization()
	k.Resources = slices.Clone(nsDir.names)
	nsDir.add("kustomization.yaml", k)
	if nsDir.err != nil {
		return nsDir.err
	}

	cluster := &files{emitter: e.Name(), dir: ClusterDir(env.Name), out: out}
	cluster.add("storageclass.yaml", storageClass(p, env))
	cluster.add("priorityclasses.yaml", priorityClasses(p, env)...)
	if p.Addons.Istio.In(env.Name) {
		cluster.add("peerauthentication.yaml", meshPeerAuthentication(p)) // traffic.go
	}
	k = kustomization()
	k.Resources = slices.Clone(cluster.names)
	cluster.add("kustomization.yaml", k)
	if cluster.err != nil {
		return cluster.err
	}

	top := &files{emitter: e.Name(), dir: EnvironmentDir(env.Name), out: out}
	k = kustomization()
	k.Resources = []string{"cluster", "namespaces"}
	if objs := ingressObjects(p, env); len(objs) > 0 { // ingress.go
		dir := &files{emitter: e.Name(), dir: IngressDir(env.Name), out: out}
		dir.add("gateways.yaml", objs...)
		ik := kustomization()
		ik.Resources = slices.Clone(dir.names)
		dir.add("kustomization.yaml", ik)
		if dir.err != nil {
			return dir.err
		}
		k.Resources = append(k.Resources, "ingress")
	}
	for _, svc := range p.ServiceList {
		if svc.Enabled(env.Name) {
			k.Resources = append(k.Resources, path.Join("services", svc.Name))
		}
	}
	top.add("kustomization.yaml", k)
	return top.err
}

// replacePatch is a one-operation JSON 6902 patch replacing the value at
// path, as compact JSON: a string without spaces stays on one line in the
// kustomization (YAML folds a long line only at a space), which keeps the
// file readable and on the tree's fast encoder.
func replacePatch(path string, value any) (string, error) {
	type op struct {
		Op    string `json:"op"`
		Path  string `json:"path"`
		Value any    `json:"value"`
	}
	b, err := json.Marshal([]op{{"replace", path, value}})
	return string(b), err
}
