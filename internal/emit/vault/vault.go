// Package vault emits, for every environment with the Vault add-on, a
// Terraform root module (JSON syntax, Terraform Vault provider) that sets up
// the Vault side of the secrets path, so that nothing about it is made by
// hand:
//
//	environments/<env>/vault-terraform/main.tf.json      terraform block, S3 backend (own state key), provider, the AWS module's state
//	environments/<env>/vault-terraform/auth.tf.json      Kubernetes auth mount and config, one role per secret store
//	environments/<env>/vault-terraform/policies.tf.json  one policy per secret store
//	environments/<env>/vault-terraform/mounts.tf.json    the KV v2 mounts the references use
//
// A secret store serves one namespace (internal/emit/addons). Its role is
// bound to exactly that namespace's vaultnames.ServiceAccount and audience,
// and its policy grants read on exactly the paths its namespace's
// ExternalSecrets reference: a team cannot read another team's secrets,
// and no store can list or write. Where Vault's raft snapshots are taken
// (addons.vault.snapshots), the snapshot CronJob's service account gets a
// role and a policy of its own, allowing only a snapshot.
package vault

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/idpgen/idpgen/internal/awsnames"
	"github.com/idpgen/idpgen/internal/model"
	"github.com/idpgen/idpgen/internal/tree"
	"github.com/idpgen/idpgen/internal/vaultnames"
)

type obj = map[string]any

// Emitter writes the Vault root modules.
type Emitter struct{}

// New returns the emitter.
func New() Emitter { return Emitter{} }

// Name identifies the emitter in errors.
func (Emitter) Name() string { return "vault" }

// Files are the files of every module, without the .tf.json suffix.
var Files = []string{"main", "auth", "policies", "mounts"}

// Stores returns, for env, each secret store's namespace and the Vault
// paths its ExternalSecrets read, sorted: the same namespaces the secrets
// emitter writes stores for (services with secrets, the Datadog add-on's
// API and application keys).
func Stores(p *model.Platform, env *model.Environment) map[string][]string {
	stores := map[string][]string{}
	if !p.Addons.SecretsOperator.In(env.Name) {
		return stores
	}
	for _, svc := range p.ServiceList {
		if len(svc.Secrets) == 0 || !svc.Enabled(env.Name) {
			continue
		}
		for _, ref := range svc.Secrets {
			stores[svc.Namespace] = append(stores[svc.Namespace], ref.Path)
		}
	}
	if dd := p.Addons.Datadog; dd.In(env.Name) && dd.APIKey != nil {
		stores[dd.Namespace] = append(stores[dd.Namespace], dd.APIKey.Path)
		if dd.AppKey != nil {
			stores[dd.Namespace] = append(stores[dd.Namespace], dd.AppKey.Path)
		}
	}
	for ns, paths := range stores {
		slices.Sort(paths)
		stores[ns] = slices.Compact(paths)
	}
	return stores
}

// Emit renders every environment's module.
func (e Emitter) Emit(p *model.Platform, out *tree.Tree) error {
	for _, env := range p.EnvironmentList {
		if !p.Addons.Vault.In(env.Name) {
			continue
		}
		for name, file := range Module(p, env) {
			data, err := tree.JSON(file)
			if err != nil {
				return fmt.Errorf("vault: environment %s: %s: %w", env.Name, name, err)
			}
			if err := out.Add(e.Name(), path.Join(vaultnames.Dir(env.Name), name+".tf.json"), data); err != nil {
				return err
			}
		}
	}
	return nil
}

// ident makes a Terraform block name of a validated model name, which may
// start with a digit (a Vault mount) where Terraform wants a letter.
func ident(prefix, name string) string { return prefix + "_" + name }

// PolicyText is the HCL of a store's policy: read on each path, nothing
// else (no list, no metadata, no wildcards).
func PolicyText(ns string, paths []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Secret store %s: read on exactly the paths the ExternalSecrets of namespace %s reference.\n", vaultnames.Store(ns), ns)
	for _, p := range paths {
		fmt.Fprintf(&b, "path %q {\n  capabilities = [\"read\"]\n}\n", p)
	}
	return b.String()
}

// SnapshotPolicyText is the HCL of the snapshot CronJob's policy: read on
// the raft snapshot endpoint (`vault operator raft snapshot save`), nothing
// else.
func SnapshotPolicyText(ns string) string {
	return fmt.Sprintf("# Scheduled raft snapshots (CronJob %s/%s): take a snapshot, nothing else.\npath %q {\n  capabilities = [\"read\"]\n}\n",
		ns, vaultnames.Snapshots, vaultnames.SnapshotPath)
}

// Module builds env's root module: file name -> JSON object.
func Module(p *model.Platform, env *model.Environment) map[string]obj {
	stateRegion := env.Region
	if p.AWS.StateRegion != "" {
		stateRegion = p.AWS.StateRegion
	}
	main := obj{
		"terraform": obj{
			"required_version": p.AWS.Terraform.RequiredVersion,
			"required_providers": obj{
				"vault": obj{"source": vaultnames.ProviderSource, "version": vaultnames.ProviderVersion},
			},
			"backend": obj{"s3": obj{
				"bucket":       p.AWS.StateBucket,
				"key":          vaultnames.StateKey(p.Name, env.Name),
				"region":       stateRegion,
				"encrypt":      true,
				"use_lockfile": true,
			}},
		},
		// The address and token come from VAULT_ADDR and VAULT_TOKEN
		// (see the README's bootstrap): nothing secret is in git.
		"provider": obj{"vault": obj{}},
		// The cluster's endpoint and CA come from the AWS module's state,
		// never copied by hand.
		"data": obj{"terraform_remote_state": obj{"aws": obj{
			"backend": "s3",
			"config": obj{
				"bucket": p.AWS.StateBucket,
				"key":    awsnames.For(p, env).StateKey(),
				"region": stateRegion,
			},
		}}},
	}

	authAddr := "vault_auth_backend.kubernetes"
	resources := obj{
		"vault_auth_backend": obj{"kubernetes": obj{
			"type":        "kubernetes",
			"path":        vaultnames.KubernetesAuthPath,
			"description": "Kubernetes service accounts of cluster " + awsnames.For(p, env).Cluster() + " (secret stores)",
		}},
		"vault_kubernetes_auth_backend_config": obj{"kubernetes": obj{
			"backend":            "${" + authAddr + ".path}",
			"kubernetes_host":    "${data.terraform_remote_state.aws.outputs.cluster_endpoint}",
			"kubernetes_ca_cert": "${base64decode(data.terraform_remote_state.aws.outputs.cluster_certificate_authority_data)}",
		}},
	}
	roles := obj{}
	policies := obj{}
	mounts := obj{}
	stores := Stores(p, env)
	for _, ns := range slices.Sorted(maps.Keys(stores)) {
		policyAddr := "vault_policy." + ident("store", ns)
		policies[ident("store", ns)] = obj{
			"name":   vaultnames.Policy(ns),
			"policy": PolicyText(ns, stores[ns]),
		}
		roles[ident("store", ns)] = obj{
			"backend":                          "${" + authAddr + ".path}",
			"role_name":                        vaultnames.Role(ns),
			"bound_service_account_names":      []string{vaultnames.ServiceAccount},
			"bound_service_account_namespaces": []string{ns},
			"audience":                         vaultnames.Audience,
			"token_policies":                   []string{"${" + policyAddr + ".name}"},
			// ESO logs in again whenever a token expires: short-lived.
			"token_ttl":     1200,
			"token_max_ttl": 3600,
		}
		for _, ap := range stores[ns] {
			m := vaultnames.Mount(ap)
			mounts[ident("kv", m)] = obj{
				"path":        m,
				"type":        "kv",
				"options":     obj{"version": "2"},
				"description": "KV v2 secrets read by the secret stores of " + p.Name + "-" + env.Name,
			}
		}
	}
	if _, ok := p.VaultSnapshotsIn(env); ok {
		// The snapshot CronJob (addons.vault.snapshots): read on the raft
		// snapshot endpoint, nothing else (a restore needs
		// snapshot-force, which only an operator's token has).
		ns := p.Addons.Vault.Namespace
		policies["snapshots"] = obj{"name": vaultnames.Snapshots, "policy": SnapshotPolicyText(ns)}
		roles["snapshots"] = obj{
			"backend":                          "${" + authAddr + ".path}",
			"role_name":                        vaultnames.Snapshots,
			"bound_service_account_names":      []string{vaultnames.Snapshots},
			"bound_service_account_namespaces": []string{ns},
			"audience":                         vaultnames.Audience,
			"token_policies":                   []string{"${vault_policy.snapshots.name}"},
			// One login per snapshot: long enough to stream a large
			// raft snapshot, not reusable for long.
			"token_ttl":     900,
			"token_max_ttl": 1800,
		}
	}
	auth := obj{"resource": resources}
	if len(roles) > 0 {
		resources["vault_kubernetes_auth_backend_role"] = roles
	}
	files := map[string]obj{"main": main, "auth": auth, "policies": {}, "mounts": {}}
	if len(policies) > 0 {
		files["policies"] = obj{"resource": obj{"vault_policy": policies}}
	}
	if len(mounts) > 0 {
		files["mounts"] = obj{"resource": obj{"vault_mount": mounts}}
	}
	return files
}
