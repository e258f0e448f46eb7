// Package addons emits the Helm values of every cluster add-on, per
// environment, and the External Secrets objects that copy services' (and
// add-ons') Vault secrets into Kubernetes Secrets. Chart, repository and
// version come from the chart catalog (schemas/catalog.cue); sizing and
// replicas from the environment's tier; every AWS name from
// internal/awsnames.
//
// Layout below generated/:
//
//	environments/<env>/addons/<release>/values.yaml   one per chart release
//	environments/<env>/platform-secrets/              secret stores (platform)
//	environments/<env>/secrets/<service>/             a service's ExternalSecret
//	environments/<env>/addons/vault/snapshots/         Vault's snapshot CronJob (snapshots.go)
package addons

import (
	"fmt"
	"path"

	"github.com/idpgen/idpgen/internal/awsnames"
	"github.com/idpgen/idpgen/internal/helmcheck"
	"github.com/idpgen/idpgen/internal/model"
	"github.com/idpgen/idpgen/internal/tree"
)

// Emitter writes the add-ons' values and the secrets objects.
type Emitter struct {
	// Charts finds charts on disk for Verify; the zero value looks in
	// ./charts and the Helm cache.
	Charts helmcheck.Finder
}

// New returns the emitter.
func New() *Emitter { return &Emitter{} }

// Name identifies the emitter in errors.
func (*Emitter) Name() string { return "addons" }

// ValuesPath is the values file of one chart release in env.
func ValuesPath(env, release string) string {
	return path.Join("environments", env, "addons", release, "values.yaml")
}

// SecretsDir holds a service's ExternalSecret in env.
func SecretsDir(env, svc string) string { return path.Join("environments", env, "secrets", svc) }

// PlatformSecretsDir holds the secret stores (and add-ons' ExternalSecrets)
// of env.
func PlatformSecretsDir(env string) string {
	return path.Join("environments", env, "platform-secrets")
}

// Release is one chart installed in one environment.
type Release struct {
	Addon      model.NamedAddon
	Chart      string
	Name       string // Helm release and Argo CD Application name
	Namespace  string
	Repository string
	OCI        bool
	Version    string
	// Wave orders the add-on Applications: operators and CRDs before what
	// uses them (istio base before istiod).
	Wave int
	// ValuesPath is below generated/.
	ValuesPath string
	// Webhooks marks charts whose admission webhooks get their caBundle
	// injected at runtime (Argo CD must ignore it).
	Webhooks bool
	// ExtraDirs are directories below generated/ of objects the add-on's
	// Application deploys with the chart (Datadog's API key's
	// ExternalSecret, Vault's snapshot CronJob), one git source each.
	ExtraDirs []string
}

// Waves of the add-on Applications. Argo CD syncs the bootstrap
// Application's resources wave by wave and (with the health check in the
// Argo CD values) waits for each Application to be healthy.
const (
	WaveArgoCD    = 0
	WaveOperators = 1  // operators and their CRDs
	WaveSecrets   = 2  // secret stores: need the secrets operator's CRDs
	WaveConsumers = 3  // add-ons that need a synced secret (Datadog)
	WaveResources = 5  // custom resources of operators (constraints, NodePools)
	WaveServices  = 10 // the teams' ApplicationSets
)

var waves = map[string]int{
	model.AddonArgoCD:  WaveArgoCD,
	model.AddonDatadog: WaveConsumers,
}

var webhooks = map[string]bool{
	model.AddonGatekeeper: true, model.AddonSecretsOperator: true, model.AddonVPA: true,
	model.AddonAWSLoadBalancerController: true, model.AddonIstio: true,
}

// Releases lists the chart releases installed in env, in catalog order.
// Add-ons without a catalog entry are left out (validate reports them).
func Releases(p *model.Platform, env *model.Environment) []Release {
	var out []Release
	for _, a := range p.Addons.List() {
		if !a.In(env.Name) {
			continue
		}
		src, ok := p.Catalog[a.Key]
		if !ok {
			continue
		}
		base, ok := waves[a.Key]
		if !ok {
			base = WaveOperators
		}
		for i, c := range src.Charts {
			out = append(out, Release{
				Addon: a, Chart: c.Chart, Name: c.Release, Namespace: a.Namespace,
				Repository: src.Repository, OCI: src.OCI(), Version: a.ChartVersion(src),
				Wave: base + min(i, 2), ValuesPath: ValuesPath(env.Name, c.Release),
				Webhooks: webhooks[a.Key],
			})
			if a.Key == model.AddonDatadog && p.Addons.Datadog.APIKey != nil && p.Addons.SecretsOperator.In(env.Name) {
				out[len(out)-1].ExtraDirs = []string{AddonSecretsDir(env.Name, c.Release)}
			}
			if a.Key == model.AddonVault {
				if _, ok := p.VaultSnapshotsIn(env); ok {
					out[len(out)-1].ExtraDirs = []string{VaultSnapshotsDir(env.Name, c.Release)}
				}
			}
		}
	}
	return out
}

// Emit writes every environment's values files and secrets objects.
func (e *Emitter) Emit(p *model.Platform, out *tree.Tree) error {
	for _, env := range p.EnvironmentList {
		v := valuesFor{p: p, env: env, n: awsnames.For(p, env)}
		for _, r := range Releases(p, env) {
			vals, err := v.values(r)
			if err != nil {
				return fmt.Errorf("%s: environments.%s: addons.%s: %w", e.Name(), env.Name, r.Addon.Key, err)
			}
			data, err := tree.YAML(vals)
			if err != nil {
				return fmt.Errorf("%s: %s: %w", e.Name(), r.ValuesPath, err)
			}
			if err := out.Add(e.Name(), r.ValuesPath, data); err != nil {
				return err
			}
		}
		if err := e.secrets(p, env, out); err != nil {
			return err
		}
		if err := e.vaultSnapshots(p, env, out); err != nil { // snapshots.go
			return err
		}
		if err := e.runbook(p, env, out); err != nil { // runbook.go
			return err
		}
	}
	return nil
}

// AddonSecretsDir holds the secrets objects an add-on's Application
// deploys next to its chart.
func AddonSecretsDir(env, release string) string {
	return path.Join("environments", env, "addons", release, "secrets")
}
