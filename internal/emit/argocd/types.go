package argocd

// Small local copies of the Argo CD v3 kinds (argoproj.io/v1alpha1) idpgen
// writes: only the fields it sets. argo-cd's Go module is heavy and its
// go.mod cannot be required here (it pins k8s.io/kubernetes, whose staging
// modules are v0.0.0 + replace); crd_test.go validates every object against
// the upstream CRDs instead, strictly (an unknown field fails).

const (
	apiVersion = "argoproj.io/v1alpha1"
	// InCluster is the API server of the cluster Argo CD runs in: each
	// environment's cluster runs its own Argo CD.
	InCluster = "https://kubernetes.default.svc"

	annotationWave = "argocd.argoproj.io/sync-wave"
)

// Meta is ObjectMeta, trimmed.
type Meta struct {
	Name        string            `json:"name"`
	Namespace   string            `json:"namespace,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Finalizers  []string          `json:"finalizers,omitempty"`
}

// Application is argoproj.io/v1alpha1 Application.
type Application struct {
	APIVersion string          `json:"apiVersion"`
	Kind       string          `json:"kind"`
	Metadata   Meta            `json:"metadata"`
	Spec       ApplicationSpec `json:"spec"`
}

// ApplicationSpec is an Application's spec.
type ApplicationSpec struct {
	Project           string              `json:"project"`
	Source            *Source             `json:"source,omitempty"`
	Sources           []Source            `json:"sources,omitempty"`
	Destination       Destination         `json:"destination"`
	SyncPolicy        *SyncPolicy         `json:"syncPolicy,omitempty"`
	IgnoreDifferences []IgnoreDifferences `json:"ignoreDifferences,omitempty"`
	Info              []Info              `json:"info,omitempty"`
}

// Info is a name/value shown in the UI.
type Info struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Source is a git path or a Helm chart.
type Source struct {
	RepoURL        string     `json:"repoURL"`
	TargetRevision string     `json:"targetRevision,omitempty"`
	Path           string     `json:"path,omitempty"`
	Chart          string     `json:"chart,omitempty"`
	Ref            string     `json:"ref,omitempty"`
	Helm           *Helm      `json:"helm,omitempty"`
	Directory      *Directory `json:"directory,omitempty"`
}

// Helm configures a Helm source.
type Helm struct {
	ReleaseName string   `json:"releaseName,omitempty"`
	ValueFiles  []string `json:"valueFiles,omitempty"`
}

// Directory configures a plain-manifests source.
type Directory struct {
	Recurse bool `json:"recurse"`
}

// Destination is where an Application deploys to.
type Destination struct {
	Server    string `json:"server"`
	Namespace string `json:"namespace,omitempty"`
}

// SyncPolicy is an Application's sync policy.
type SyncPolicy struct {
	Automated                *Automated                `json:"automated,omitempty"`
	SyncOptions              []string                  `json:"syncOptions,omitempty"`
	Retry                    *Retry                    `json:"retry,omitempty"`
	ManagedNamespaceMetadata *ManagedNamespaceMetadata `json:"managedNamespaceMetadata,omitempty"`
}

// Automated syncs without a human.
type Automated struct {
	Prune      bool `json:"prune"`
	SelfHeal   bool `json:"selfHeal"`
	AllowEmpty bool `json:"allowEmpty"`
}

// Retry retries failed syncs with backoff.
type Retry struct {
	Limit   int64    `json:"limit"`
	Backoff *Backoff `json:"backoff,omitempty"`
}

// Backoff is the retry backoff.
type Backoff struct {
	Duration    string `json:"duration"`
	Factor      int64  `json:"factor"`
	MaxDuration string `json:"maxDuration"`
}

// ManagedNamespaceMetadata labels a namespace created by CreateNamespace.
type ManagedNamespaceMetadata struct {
	Labels map[string]string `json:"labels,omitempty"`
}

// IgnoreDifferences is a diff Argo CD must not act on.
type IgnoreDifferences struct {
	Group             string   `json:"group,omitempty"`
	Kind              string   `json:"kind"`
	Name              string   `json:"name,omitempty"`
	JSONPointers      []string `json:"jsonPointers,omitempty"`
	JQPathExpressions []string `json:"jqPathExpressions,omitempty"`
}

// AppProject is argoproj.io/v1alpha1 AppProject.
type AppProject struct {
	APIVersion string      `json:"apiVersion"`
	Kind       string      `json:"kind"`
	Metadata   Meta        `json:"metadata"`
	Spec       ProjectSpec `json:"spec"`
}

// ProjectSpec is an AppProject's spec.
type ProjectSpec struct {
	Description                string          `json:"description,omitempty"`
	SourceRepos                []string        `json:"sourceRepos"`
	Destinations               []Destination   `json:"destinations"`
	ClusterResourceWhitelist   []GroupKind     `json:"clusterResourceWhitelist"`
	ClusterResourceBlacklist   []GroupKind     `json:"clusterResourceBlacklist,omitempty"`
	NamespaceResourceBlacklist []GroupKind     `json:"namespaceResourceBlacklist,omitempty"`
	NamespaceResourceWhitelist []GroupKind     `json:"namespaceResourceWhitelist,omitempty"`
	Roles                      []ProjectRole   `json:"roles,omitempty"`
	OrphanedResources          *OrphanedConfig `json:"orphanedResources,omitempty"`
}

// GroupKind names a kind of resource.
type GroupKind struct {
	Group string `json:"group"`
	Kind  string `json:"kind"`
}

// ProjectRole grants a group rights on a project's Applications.
type ProjectRole struct {
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Policies    []string `json:"policies"`
	Groups      []string `json:"groups"`
}

// OrphanedConfig warns about resources no Application owns.
type OrphanedConfig struct {
	Warn bool `json:"warn"`
}

// ApplicationSet is argoproj.io/v1alpha1 ApplicationSet.
type ApplicationSet struct {
	APIVersion string  `json:"apiVersion"`
	Kind       string  `json:"kind"`
	Metadata   Meta    `json:"metadata"`
	Spec       SetSpec `json:"spec"`
}

// SetSpec is an ApplicationSet's spec.
type SetSpec struct {
	GoTemplate        bool           `json:"goTemplate"`
	GoTemplateOptions []string       `json:"goTemplateOptions"`
	Generators        []Generator    `json:"generators"`
	Template          Template       `json:"template"`
	TemplatePatch     string         `json:"templatePatch,omitempty"`
	SyncPolicy        *SetSyncPolicy `json:"syncPolicy,omitempty"`
}

// Generator produces parameter sets; idpgen uses the list generator.
type Generator struct {
	List *ListGenerator `json:"list,omitempty"`
}

// ListGenerator yields one parameter set per element.
type ListGenerator struct {
	Elements []map[string]string `json:"elements"`
}

// Template is the Application every parameter set becomes.
type Template struct {
	Metadata Meta            `json:"metadata"`
	Spec     ApplicationSpec `json:"spec"`
}

// SetSyncPolicy is what the ApplicationSet controller may do to the
// Applications it owns.
type SetSyncPolicy struct {
	PreserveResourcesOnDeletion bool   `json:"preserveResourcesOnDeletion"`
	ApplicationsSync            string `json:"applicationsSync,omitempty"`
}
