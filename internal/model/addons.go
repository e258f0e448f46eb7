package model

import (
	"strconv"
	"strings"
)

// The types below are the add-ons' side of the model (schemas/addons.cue,
// schemas/catalog.cue), read by the Argo CD and Helm values emitters.

// Catalog is the chart catalog; the key is the add-on's key in Addons.
type Catalog map[string]ChartSource

// ChartSource is where an add-on's charts come from and which releases are
// approved.
type ChartSource struct {
	Repository string               `json:"repository"`
	Charts     []ChartRef           `json:"charts"`
	Releases   map[string]KubeRange `json:"releases"`
	Current    string               `json:"current"`
}

// OCI reports whether the repository is an OCI registry.
func (c ChartSource) OCI() bool { return strings.HasPrefix(c.Repository, "oci://") }

// ChartRef is one chart of an add-on and the release it is installed as.
type ChartRef struct {
	Chart   string `json:"chart"`
	Release string `json:"release"`
}

// KubeRange is the range of Kubernetes minors a chart release runs on.
type KubeRange struct {
	KubeMin string `json:"kubeMin"`
	KubeMax string `json:"kubeMax"`
}

// Contains reports whether the Kubernetes minor v ("1.35") is in the range.
// Unparsable versions are outside every range.
func (r KubeRange) Contains(v string) bool {
	x, ok1 := minor(v)
	lo, ok2 := minor(r.KubeMin)
	hi, ok3 := minor(r.KubeMax)
	return ok1 && ok2 && ok3 && lo <= x && x <= hi
}

func minor(v string) (int, bool) {
	major, m, ok := strings.Cut(v, ".")
	if !ok || major != "1" {
		return 0, false
	}
	n, err := strconv.Atoi(m)
	return n, err == nil
}

// AddonResources are the AWS resources of an environment that add-ons
// depend on.
type AddonResources struct {
	BackupBucket      bool `json:"backupBucket"`
	InterruptionQueue bool `json:"interruptionQueue"`
	VaultUnsealKey    bool `json:"vaultUnsealKey"`
}

// Add-on keys: the field names in schemas/addons.cue and the catalog keys.
const (
	AddonArgoCD                    = "argocd"
	AddonVault                     = "vault"
	AddonKarpenter                 = "karpenter"
	AddonGatekeeper                = "gatekeeper"
	AddonIstio                     = "istio"
	AddonMetricsServer             = "metricsServer"
	AddonAWSLoadBalancerController = "awsLoadBalancerController"
	AddonSecretsOperator           = "secretsOperator"
	AddonVPA                       = "vpa"
	AddonTrivyOperator             = "trivyOperator"
	AddonDatadog                   = "datadog"
	AddonVelero                    = "velero"
)

// NamedAddon is an add-on with its key.
type NamedAddon struct {
	Key string
	*Addon
}

// List returns every add-on in a fixed order (the order of the schema).
func (a *Addons) List() []NamedAddon {
	return []NamedAddon{
		{AddonArgoCD, &a.ArgoCD},
		{AddonVault, &a.Vault.Addon},
		{AddonKarpenter, &a.Karpenter},
		{AddonGatekeeper, &a.Gatekeeper},
		{AddonIstio, &a.Istio},
		{AddonMetricsServer, &a.MetricsServer},
		{AddonAWSLoadBalancerController, &a.AWSLoadBalancerController},
		{AddonSecretsOperator, &a.SecretsOperator},
		{AddonVPA, &a.VPA},
		{AddonTrivyOperator, &a.TrivyOperator},
		{AddonDatadog, &a.Datadog.Addon},
		{AddonVelero, &a.Velero.Addon},
	}
}

// Get returns the add-on with the given key.
func (a *Addons) Get(key string) (NamedAddon, bool) {
	for _, n := range a.List() {
		if n.Key == key {
			return n, true
		}
	}
	return NamedAddon{}, false
}

// ChartVersion is the chart version the add-on is installed at: its pin, or
// the catalog's current release.
func (a Addon) ChartVersion(src ChartSource) string {
	if a.Version != "" {
		return a.Version
	}
	return src.Current
}
