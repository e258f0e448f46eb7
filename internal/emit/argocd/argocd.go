// Package argocd emits what Argo CD needs to deploy a whole environment
// from the rendered tree: a bootstrap (app-of-apps) Application a human
// applies once, AppProjects (one per team, one for the platform), an
// ApplicationSet per team generating one Application per service, and one
// Application per add-on chart, ordered by sync waves.
//
// Layout below generated/ (one Argo CD per cluster, in the argocd add-on's
// namespace, deploying to its own cluster):
//
//	environments/<env>/argocd/bootstrap.yaml        AppProject + Application "bootstrap"
//	environments/<env>/argocd/projects.yaml         AppProjects "platform" and one per team
//	environments/<env>/argocd/addons.yaml           add-on and platform Applications
//	environments/<env>/argocd/applicationsets.yaml  one ApplicationSet per team
//	environments/<env>/argocd/kustomization.yaml
//
// Services are generated with a list generator rather than a git directory
// generator: each Application needs its team's project and the service's
// namespace, which are model facts a directory name cannot carry, and the
// list is rendered from the same model as the directories it names, so
// vet can prove every element points at a rendered directory (Verify).
package argocd

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/idpgen/idpgen/internal/emit/addons"
	"github.com/idpgen/idpgen/internal/emit/kustomize"
	"github.com/idpgen/idpgen/internal/model"
	"github.com/idpgen/idpgen/internal/tree"
)

// Emitter writes the Argo CD objects. It must run after the emitters whose
// directories it deploys (render.Emitters lists it last): Components are
// deployed only when their directory was rendered.
type Emitter struct{}

// New returns the emitter.
func New() Emitter { return Emitter{} }

// Name identifies the emitter in errors.
func (Emitter) Name() string { return "argocd" }

// ReadsTree tells the renderer to run this emitter after the others: it
// deploys the directories they rendered.
func (Emitter) ReadsTree() {}

// Dir is where an environment's Argo CD objects live.
func Dir(env string) string { return path.Join("environments", env, "argocd") }

// Project names.
const (
	ProjectBootstrap = "bootstrap"
	ProjectPlatform  = "platform"
)

// Waves of the bootstrap Application's resources (see also the add-on
// waves in package addons).
const (
	WaveProjects   = -2
	WaveNamespaces = -1
)

// Component is a directory of custom resources another emitter renders
// for an add-on's operator (Gatekeeper constraints, Karpenter NodePools).
// It is deployed by an Application of its own, in a wave after every
// operator, when the add-on is enabled.
type Component struct {
	Dir   string // below environments/<env>/
	Addon string // add-on key
	// App names the Application when Dir would clash with the add-on's
	// own (the chart release "karpenter").
	App string
	// SyncOptions are added to the Application's (e.g.
	// SkipDryRunOnMissingResource=true for custom resources whose CRD the
	// add-on's chart installs in the same sync).
	SyncOptions []string
}

// Components are the operator-backed directories idpgen knows. A directory
// with a kustomization.yaml that nothing deploys is a vet error, so a new
// emitter's directory must be listed here.
var Components = []Component{
	{Dir: "policy", Addon: model.AddonGatekeeper},
	{Dir: "karpenter", Addon: model.AddonKarpenter, App: "karpenter-nodepools", SyncOptions: []string{"SkipDryRunOnMissingResource=true"}},
	{Dir: "ingress", Addon: model.AddonIstio}, // gateways: kustomize/ingress.go
	// SLOs and monitors (emit/monitors): their CRDs come with the Datadog
	// chart's bundled operator, in the same sync on a new cluster.
	{Dir: "monitors", Addon: model.AddonDatadog, App: "datadog-monitors", SyncOptions: []string{"SkipDryRunOnMissingResource=true"}},
}

type builder struct {
	p   *model.Platform
	env *model.Environment
	ns  string // Argo CD's namespace
}

func (b builder) repoPath(treePath string) string { return path.Join(b.p.Repo.Path, treePath) }

func (b builder) gitSource(treePath string) *Source {
	return &Source{RepoURL: b.p.Repo.URL, TargetRevision: b.p.Repo.Revision, Path: b.repoPath(treePath)}
}

func (b builder) meta(name string, wave int) Meta {
	return Meta{
		Name: name, Namespace: b.ns,
		Labels: map[string]string{
			"app.kubernetes.io/managed-by": "idpgen",
			"app.kubernetes.io/part-of":    b.p.Name,
			kustomize.LabelEnvironment:     b.env.Name,
		},
		Annotations: map[string]string{annotationWave: strconv.Itoa(wave)},
	}
}

// retry backs off from 10s to 5m: enough for a CRD or a webhook to come up.
func retry() *Retry {
	return &Retry{Limit: 10, Backoff: &Backoff{Duration: "10s", Factor: 2, MaxDuration: "5m"}}
}

// TierSyncPolicy is the tier's policy: nonprod prunes and self-heals; prod
// self-heals but prunes only when a human syncs with prune (PruneLast
// keeps deletions at the end of such a sync).
func TierSyncPolicy(env *model.Environment, options ...string) *SyncPolicy {
	sp := &SyncPolicy{Automated: &Automated{Prune: !env.Prod(), SelfHeal: true}, Retry: retry(), SyncOptions: options}
	if env.Prod() {
		sp.SyncOptions = append(sp.SyncOptions, "PruneLast=true")
	}
	return sp
}

func application(m Meta, spec ApplicationSpec) Application {
	return Application{APIVersion: apiVersion, Kind: "Application", Metadata: m, Spec: spec}
}

// Emit writes every environment's Argo CD objects.
func (e Emitter) Emit(p *model.Platform, out *tree.Tree) error {
	for _, env := range p.EnvironmentList {
		b := builder{p: p, env: env, ns: p.Addons.ArgoCD.Namespace}
		files := []struct {
			name string
			objs []any
		}{
			{"bootstrap.yaml", b.bootstrap()},
			{"projects.yaml", b.projects()},
			{"addons.yaml", b.applications(out)},
			{"applicationsets.yaml", b.applicationSets()},
		}
		var names []string
		for _, f := range files {
			if len(f.objs) == 0 {
				continue
			}
			if err := add(out, e.Name(), path.Join(Dir(env.Name), f.name), f.objs...); err != nil {
				return err
			}
			names = append(names, f.name)
		}
		k := map[string]any{"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "resources": names}
		if err := add(out, e.Name(), path.Join(Dir(env.Name), "kustomization.yaml"), k); err != nil {
			return err
		}
	}
	return nil
}

func add(out *tree.Tree, emitter, p string, objs ...any) error {
	data, err := tree.YAML(objs...)
	if err != nil {
		return fmt.Errorf("%s: %s: %w", emitter, p, err)
	}
	return out.Add(emitter, p, data)
}

// bootstrap is what a human applies once per cluster: a project that may
// only manage Argo CD's own objects in Argo CD's namespace, and the
// app-of-apps Application that syncs this directory (itself included).
func (b builder) bootstrap() []any {
	proj := AppProject{
		APIVersion: apiVersion, Kind: "AppProject",
		Metadata: b.meta(ProjectBootstrap, WaveProjects),
		Spec: ProjectSpec{
			Description:              "The app-of-apps: Argo CD's own objects, in Argo CD's namespace only.",
			SourceRepos:              []string{b.p.Repo.URL},
			Destinations:             []Destination{{Server: InCluster, Namespace: b.ns}},
			ClusterResourceWhitelist: []GroupKind{},
			NamespaceResourceWhitelist: []GroupKind{
				{Group: "argoproj.io", Kind: "AppProject"},
				{Group: "argoproj.io", Kind: "Application"},
				{Group: "argoproj.io", Kind: "ApplicationSet"},
			},
		},
	}
	m := b.meta("bootstrap", WaveProjects)
	delete(m.Annotations, annotationWave)
	app := application(m, ApplicationSpec{
		Project:     ProjectBootstrap,
		Source:      b.gitSource(Dir(b.env.Name)),
		Destination: Destination{Server: InCluster, Namespace: b.ns},
		// The ApplicationSet CRD objects are large: server-side apply.
		SyncPolicy: TierSyncPolicy(b.env, "ServerSideApply=true"),
	})
	return []any{proj, app}
}

func (b builder) projects() []any {
	repos := []string{b.p.Repo.URL}
	seen := map[string]bool{b.p.Repo.URL: true}
	if b.p.Addons.Istio.In(b.env.Name) {
		repos = append(repos, GatewayAPIRepo) // gatewayapi.go
	}
	for _, r := range addons.Releases(b.p, b.env) {
		if u := chartRepoURL(r); !seen[u] {
			seen[u] = true
			repos = append(repos, u)
		}
	}
	out := []any{AppProject{
		APIVersion: apiVersion, Kind: "AppProject",
		Metadata: b.meta(ProjectPlatform, WaveProjects),
		Spec: ProjectSpec{
			Description:              "Cluster add-ons, team namespaces and secret stores, run by the platform team.",
			SourceRepos:              repos,
			Destinations:             []Destination{{Server: InCluster, Namespace: "*"}},
			ClusterResourceWhitelist: []GroupKind{{Group: "*", Kind: "*"}},
		},
	}}
	for _, t := range b.p.TeamList {
		var dests []Destination
		for _, ns := range t.Namespaces {
			dests = append(dests, Destination{Server: InCluster, Namespace: ns})
		}
		scope := t.Name + "/*"
		role := "proj:" + t.Name + ":team"
		out = append(out, AppProject{
			APIVersion: apiVersion, Kind: "AppProject",
			Metadata: b.meta(t.Name, WaveProjects),
			Spec: ProjectSpec{
				Description:  fmt.Sprintf("Services of team %s.", t.Name),
				SourceRepos:  []string{b.p.Repo.URL},
				Destinations: dests,
				// Teams deploy namespaced objects into their own namespaces
				// only; namespaces, quotas and limits are the platform's.
				ClusterResourceWhitelist: []GroupKind{},
				ClusterResourceBlacklist: []GroupKind{{Group: "*", Kind: "*"}},
				NamespaceResourceBlacklist: []GroupKind{
					{Group: "", Kind: "ResourceQuota"},
					{Group: "", Kind: "LimitRange"},
				},
				Roles: []ProjectRole{{
					Name:        "team",
					Description: "Members of " + t.SSOGroup + " see, sync and operate their Applications.",
					Groups:      RoleGroups(t),
					// Argo CD v3: sub-resource actions need their own grants.
					Policies: []string{
						fmt.Sprintf("p, %s, applications, get, %s, allow", role, scope),
						fmt.Sprintf("p, %s, applications, sync, %s, allow", role, scope),
						fmt.Sprintf("p, %s, applications, action/*, %s, allow", role, scope),
						fmt.Sprintf("p, %s, logs, get, %s, allow", role, scope),
					},
				}},
				OrphanedResources: &OrphanedConfig{Warn: true},
			},
		})
	}
	return out
}

// chartRepoURL is the repoURL Argo CD uses for a chart: OCI registries
// are written without the oci:// scheme (the repository Secret sets
// enableOCI: "true").
func chartRepoURL(r addons.Release) string {
	if r.OCI {
		return r.Repository[len("oci://"):]
	}
	return r.Repository
}

// caBundleIgnore ignores the caBundle the operators inject into their own
// webhook configurations at runtime.
var caBundleIgnore = []IgnoreDifferences{
	{Group: "admissionregistration.k8s.io", Kind: "ValidatingWebhookConfiguration", JQPathExpressions: []string{".webhooks[]?.clientConfig.caBundle"}},
	{Group: "admissionregistration.k8s.io", Kind: "MutatingWebhookConfiguration", JQPathExpressions: []string{".webhooks[]?.clientConfig.caBundle"}},
}

// istioWebhookIgnore adds the validating webhooks' failurePolicy: the
// charts install them with Ignore and istiod switches them to Fail once it
// serves the webhook (comment in the base and istiod charts' templates);
// without this, self-heal would keep switching validation off.
var istioWebhookIgnore = []IgnoreDifferences{
	{Group: "admissionregistration.k8s.io", Kind: "ValidatingWebhookConfiguration", JQPathExpressions: []string{".webhooks[]?.clientConfig.caBundle", ".webhooks[]?.failurePolicy"}},
	caBundleIgnore[1],
}

func (b builder) applications(t *tree.Tree) []any {
	env := b.env
	var out []any
	platformApp := func(name string, wave int, dir string, options ...string) {
		out = append(out, application(b.meta(name, wave), ApplicationSpec{
			Project:     ProjectPlatform,
			Source:      b.gitSource(dir),
			Destination: Destination{Server: InCluster},
			SyncPolicy:  TierSyncPolicy(env, options...),
		}))
	}
	// Team namespaces: never pruned automatically, in any tier.
	ns := application(b.meta("namespaces", WaveNamespaces), ApplicationSpec{
		Project:     ProjectPlatform,
		Source:      b.gitSource(kustomize.NamespacesDir(env.Name)),
		Destination: Destination{Server: InCluster},
		SyncPolicy:  &SyncPolicy{Automated: &Automated{Prune: false, SelfHeal: true}, Retry: retry()},
	})
	out = append(out, ns)
	// Cluster-wide objects (the default storage class), alongside.
	out = append(out, application(b.meta("cluster", WaveNamespaces), ApplicationSpec{
		Project:     ProjectPlatform,
		Source:      b.gitSource(kustomize.ClusterDir(env.Name)),
		Destination: Destination{Server: InCluster},
		SyncPolicy:  &SyncPolicy{Automated: &Automated{Prune: false, SelfHeal: true}, Retry: retry()},
	}))

	for _, r := range addons.Releases(b.p, env) {
		createNS := "CreateNamespace=true"
		if r.Namespace == "kube-system" {
			createNS = "CreateNamespace=false"
		}
		sp := TierSyncPolicy(env, createNS, "ServerSideApply=true")
		if r.Addon.Key == model.AddonArgoCD {
			sp.Automated.Prune = false // Argo CD never prunes itself
		}
		if createNS == "CreateNamespace=true" {
			sp.ManagedNamespaceMetadata = &ManagedNamespaceMetadata{Labels: map[string]string{"app.kubernetes.io/managed-by": "idpgen"}}
		}
		sources := []Source{
			{
				RepoURL: chartRepoURL(r), Chart: r.Chart, TargetRevision: r.Version,
				Helm: &Helm{ReleaseName: r.Name, ValueFiles: []string{"$values/" + b.repoPath(r.ValuesPath)}},
			},
			{RepoURL: b.p.Repo.URL, TargetRevision: b.p.Repo.Revision, Ref: "values"},
		}
		for _, dir := range r.ExtraDirs {
			sources = append(sources, *b.gitSource(dir))
		}
		spec := ApplicationSpec{
			Project:     ProjectPlatform,
			Sources:     sources,
			Destination: Destination{Server: InCluster, Namespace: r.Namespace},
			SyncPolicy:  sp,
			Info:        []Info{{Name: "add-on", Value: r.Addon.Key}, {Name: "chart", Value: r.Chart + " " + r.Version}},
		}
		if r.Webhooks {
			spec.IgnoreDifferences = caBundleIgnore
			if r.Addon.Key == model.AddonIstio {
				spec.IgnoreDifferences = istioWebhookIgnore
			}
			sp.SyncOptions = append(sp.SyncOptions, "RespectIgnoreDifferences=true")
		}
		out = append(out, application(b.meta(r.Name, r.Wave), spec))
	}
	if b.p.Addons.Istio.In(env.Name) {
		out = append(out, b.gatewayAPICRDs()) // gatewayapi.go
	}
	if _, ok := t.Get(path.Join(addons.PlatformSecretsDir(env.Name), "kustomization.yaml")); ok {
		platformApp("platform-secrets", addons.WaveSecrets, addons.PlatformSecretsDir(env.Name))
	}
	for _, c := range Components {
		a, _ := b.p.Addons.Get(c.Addon)
		dir := path.Join(kustomize.EnvironmentDir(env.Name), c.Dir)
		if _, ok := t.Get(path.Join(dir, "kustomization.yaml")); ok && a.In(env.Name) {
			name := c.App
			if name == "" {
				name = c.Dir
			}
			platformApp(name, addons.WaveResources, dir, append([]string{"ServerSideApply=true"}, c.SyncOptions...)...)
		}
	}
	return out
}

// Element keys of the services' list generator.
const (
	keyName       = "name"
	keyService    = "service"
	keyNamespace  = "namespace"
	keyPath       = "path"
	keyAutoscaled = "autoscaled"
	keyWorkload   = "workloadKind"
)

// templatePatch tells Argo CD to leave replicas to the autoscaler when an
// HPA owns them.
const templatePatch = `{{- if eq .autoscaled "true" }}
spec:
  ignoreDifferences:
    - group: apps
      kind: {{ .workloadKind }}
      name: {{ .service }}
      jsonPointers:
        - /spec/replicas
{{- end }}
`

func (b builder) applicationSets() []any {
	env := b.env
	var out []any
	for _, t := range b.p.TeamList {
		var elements []map[string]string
		for _, svc := range b.p.ServiceList {
			if svc.Team != t.Name || !svc.Enabled(env.Name) {
				continue
			}
			w := svc.In(env)
			kind := "Deployment"
			if svc.Kind == model.KindStateful {
				kind = "StatefulSet"
			}
			elements = append(elements, map[string]string{
				keyName: svc.Name, keyService: svc.Name, keyNamespace: svc.Namespace,
				keyPath:       b.repoPath(kustomize.OverlayDir(env.Name, svc.Name)),
				keyAutoscaled: strconv.FormatBool(w.Autoscaling != nil), keyWorkload: kind,
			})
			if len(svc.Secrets) > 0 && b.p.Addons.SecretsOperator.In(env.Name) {
				elements = append(elements, map[string]string{
					keyName: svc.Name + "-secrets", keyService: svc.Name, keyNamespace: svc.Namespace,
					keyPath:       b.repoPath(addons.SecretsDir(env.Name, svc.Name)),
					keyAutoscaled: "false", keyWorkload: "",
				})
			}
		}
		if len(elements) == 0 {
			continue
		}
		m := b.meta(t.Name, addons.WaveServices)
		tm := Meta{
			Name: "{{ .name }}",
			Labels: map[string]string{
				"app.kubernetes.io/managed-by": "idpgen",
				kustomize.LabelTeam:            t.Name,
				kustomize.LabelEnvironment:     env.Name,
				"idpgen.dev/tier":              env.Tier,
			},
		}
		set := SetSyncPolicy{ApplicationsSync: "sync"}
		if env.Prod() {
			// Removing a service from the model does not delete its
			// Application (nor its resources) in prod: a human does.
			set = SetSyncPolicy{ApplicationsSync: "create-update", PreserveResourcesOnDeletion: true}
		}
		out = append(out, ApplicationSet{
			APIVersion: apiVersion, Kind: "ApplicationSet", Metadata: m,
			Spec: SetSpec{
				GoTemplate:        true,
				GoTemplateOptions: []string{"missingkey=error"},
				Generators:        []Generator{{List: &ListGenerator{Elements: elements}}},
				Template: Template{Metadata: tm, Spec: ApplicationSpec{
					Project:     t.Name,
					Source:      &Source{RepoURL: b.p.Repo.URL, TargetRevision: b.p.Repo.Revision, Path: "{{ .path }}"},
					Destination: Destination{Server: InCluster, Namespace: "{{ .namespace }}"},
					// Namespaces are idpgen's (the namespaces Application):
					// never created by a service.
					SyncPolicy: TierSyncPolicy(env, "CreateNamespace=false", "RespectIgnoreDifferences=true", "ApplyOutOfSyncOnly=true"),
				}},
				TemplatePatch: templatePatch,
				SyncPolicy:    &set,
			},
		})
	}
	return out
}

// RoleGroups are the IdP groups of a team's AppProject role: its ssoGroup
// and those of its owners that are group names. Owners that are emails are
// left out: Argo CD matches project roles against the token's groups claim
// (its RBAC scopes are [groups]), so an email would never match anyone.
func RoleGroups(t *model.Team) []string {
	groups := []string{t.SSOGroup}
	for _, o := range t.Owners {
		if !strings.Contains(o, "@") && !slices.Contains(groups, o) {
			groups = append(groups, o)
		}
	}
	return groups
}
