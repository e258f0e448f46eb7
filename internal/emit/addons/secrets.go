package addons

import (
	"maps"
	"path"
	"slices"

	"github.com/idpgen/idpgen/internal/emit/kustomize"
	"github.com/idpgen/idpgen/internal/model"
	"github.com/idpgen/idpgen/internal/tree"
	"github.com/idpgen/idpgen/internal/vaultnames"
)

// The secrets operator is the External Secrets Operator (external-secrets.io/v1).
// It maps the model one to one: a service's secrets are environment
// variables, each a (Vault path, key) pair, and one ExternalSecret builds
// the Secret kustomize.SecretName(svc) from any number of paths, naming
// each Secret key after the variable. (Vault Secrets Operator syncs one
// Vault path per Secret and would need templates to rename keys.)
//
// Stores: one ClusterSecretStore per namespace that needs secrets, usable
// from that namespace only (spec.conditions). It logs in to Vault with the
// Kubernetes auth method as the service account SecretsServiceAccount of
// that namespace, under the Vault role VaultRole(namespace): the Vault-side
// role and policy decide which paths a team may read. The stores and service
// accounts are the platform's (AppProject "platform"); the ExternalSecrets
// belong to the teams.

const (
	esAPIVersion          = "external-secrets.io/v1"
	esGeneratorAPIVersion = "generators.external-secrets.io/v1alpha1"
	// SecretsServiceAccount is the service account, in each namespace with
	// secrets, that the secret store authenticates to Vault as.
	SecretsServiceAccount = vaultnames.ServiceAccount
)

// VaultRole is the Vault Kubernetes-auth role of a namespace's secret store
// (declared by the Vault module, internal/emit/vault).
func VaultRole(ns string) string { return vaultnames.Role(ns) }

// StoreName is the ClusterSecretStore serving one namespace.
func StoreName(ns string) string { return vaultnames.Store(ns) }

type obj = map[string]any

func (v valuesFor) labels() map[string]string {
	return map[string]string{"app.kubernetes.io/managed-by": "idpgen", "app.kubernetes.io/part-of": v.p.Name}
}

func externalSecret(labels map[string]string, name, ns, target string, data map[string]model.VaultRef) obj {
	var entries []obj
	for _, k := range slices.Sorted(maps.Keys(data)) {
		entries = append(entries, obj{"secretKey": k, "remoteRef": obj{"key": data[k].Path, "property": data[k].Key}})
	}
	return obj{
		"apiVersion": esAPIVersion,
		"kind":       "ExternalSecret",
		"metadata":   obj{"name": name, "namespace": ns, "labels": labels},
		"spec": obj{
			"refreshInterval": "1h",
			"secretStoreRef":  obj{"kind": "ClusterSecretStore", "name": StoreName(ns)},
			"target":          obj{"name": target, "creationPolicy": "Owner", "deletionPolicy": "Retain"},
			"data":            entries,
		},
	}
}

// DatadogClusterAgentTokenSecret holds the token the node agents and the
// cluster agent share (key "token", as the chart expects).
const DatadogClusterAgentTokenSecret = "datadog-cluster-agent-token"

// clusterAgentToken generates the Datadog cluster agent's token once, in
// the cluster, with the External Secrets Password generator. Left to the
// chart, the token is random on every Helm render: each Argo CD sync would
// change it and restart every agent. refreshInterval "0" never regenerates
// it; no human needs to know it, so it is not kept in Vault.
func clusterAgentToken(labels map[string]string, ns string, annotations map[string]string) (generator, secret obj) {
	name := DatadogClusterAgentTokenSecret
	generator = obj{
		"apiVersion": esGeneratorAPIVersion,
		"kind":       "Password",
		"metadata":   obj{"name": name, "namespace": ns, "labels": labels, "annotations": annotations},
		"spec":       obj{"length": 32, "digits": 8, "symbols": 0, "noUpper": false, "allowRepeat": true},
	}
	secret = obj{
		"apiVersion": esAPIVersion,
		"kind":       "ExternalSecret",
		"metadata":   obj{"name": name, "namespace": ns, "labels": labels, "annotations": annotations},
		"spec": obj{
			"refreshInterval": "0",
			"target": obj{
				"name": name, "creationPolicy": "Owner", "deletionPolicy": "Retain",
				"template": obj{"engineVersion": "v2", "data": obj{"token": "{{ .password }}"}},
			},
			"dataFrom": []obj{{"sourceRef": obj{"generatorRef": obj{"apiVersion": esGeneratorAPIVersion, "kind": "Password", "name": name}}}},
		},
	}
	return generator, secret
}

func kustomization(resources ...string) obj {
	return obj{"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "resources": resources}
}

func (e *Emitter) add(out *tree.Tree, dir, name string, objs ...any) error {
	data, err := tree.YAML(objs...)
	if err != nil {
		return err
	}
	return out.Add(e.Name(), path.Join(dir, name), data)
}

// secrets writes env's ExternalSecrets and the stores they use.
func (e *Emitter) secrets(p *model.Platform, env *model.Environment, out *tree.Tree) error {
	if !p.Addons.SecretsOperator.In(env.Name) {
		return nil
	}
	v := valuesFor{p: p, env: env}
	var namespaces []string
	for _, svc := range p.ServiceList {
		if len(svc.Secrets) == 0 || !svc.Enabled(env.Name) {
			continue
		}
		namespaces = append(namespaces, svc.Namespace)
		dir := SecretsDir(env.Name, svc.Name)
		es := externalSecret(v.labels(), kustomize.SecretName(svc), svc.Namespace, kustomize.SecretName(svc), svc.Secrets)
		if err := e.add(out, dir, "externalsecret.yaml", es); err != nil {
			return err
		}
		if err := e.add(out, dir, "kustomization.yaml", kustomization("externalsecret.yaml")); err != nil {
			return err
		}
	}
	slices.Sort(namespaces)
	namespaces = slices.Compact(namespaces)
	if len(namespaces) > 0 {
		accounts, stores := v.stores(namespaces, nil)
		dir := PlatformSecretsDir(env.Name)
		if err := e.add(out, dir, "serviceaccounts.yaml", accounts...); err != nil {
			return err
		}
		if err := e.add(out, dir, "clustersecretstores.yaml", stores...); err != nil {
			return err
		}
		if err := e.add(out, dir, "kustomization.yaml", kustomization("serviceaccounts.yaml", "clustersecretstores.yaml")); err != nil {
			return err
		}
	}
	// An add-on's own secrets are deployed by its Application (a second
	// git source), one sync wave before the chart's resources, so that its
	// namespace exists (CreateNamespace) and the Secret is there when the
	// pods start.
	if dd := p.Addons.Datadog; dd.In(env.Name) && dd.APIKey != nil {
		early := map[string]string{"argocd.argoproj.io/sync-wave": "-1"}
		accounts, stores := v.stores([]string{dd.Namespace}, early)
		es := externalSecret(v.labels(), DatadogAPIKeySecret, dd.Namespace, DatadogAPIKeySecret, map[string]model.VaultRef{"api-key": *dd.APIKey})
		es["metadata"].(obj)["annotations"] = early
		gen, token := clusterAgentToken(v.labels(), dd.Namespace, early)
		dir := AddonSecretsDir(env.Name, "datadog")
		files := map[string]any{"serviceaccount.yaml": accounts[0], "clustersecretstore.yaml": stores[0], "externalsecret.yaml": es,
			"password.yaml": gen, "clusteragent-token.yaml": token}
		resources := []string{"clustersecretstore.yaml", "externalsecret.yaml", "serviceaccount.yaml", "password.yaml", "clusteragent-token.yaml"}
		if dd.AppKey != nil {
			// The bundled Datadog Operator's application key, for the
			// SLOs and monitors it manages (internal/emit/monitors).
			app := externalSecret(v.labels(), DatadogAppKeySecret, dd.Namespace, DatadogAppKeySecret, map[string]model.VaultRef{"app-key": *dd.AppKey})
			app["metadata"].(obj)["annotations"] = early
			files["appkey-externalsecret.yaml"] = app
			resources = append(resources, "appkey-externalsecret.yaml")
		}
		for name, o := range files {
			if err := e.add(out, dir, name, o); err != nil {
				return err
			}
		}
		return e.add(out, dir, "kustomization.yaml", kustomization(resources...))
	}
	return nil
}

// stores returns the service accounts and secret stores of namespaces.
func (v valuesFor) stores(namespaces []string, annotations map[string]string) (accounts, stores []any) {
	vault := v.p.Addons.Vault
	for _, ns := range namespaces {
		meta := func(name, namespace string) obj {
			m := obj{"name": name, "labels": v.labels()}
			if namespace != "" {
				m["namespace"] = namespace
			}
			if annotations != nil {
				m["annotations"] = annotations
			}
			return m
		}
		accounts = append(accounts, v.storeAccount(meta(SecretsServiceAccount, ns), ns))
		stores = append(stores, obj{
			"apiVersion": esAPIVersion,
			"kind":       "ClusterSecretStore",
			"metadata":   meta(StoreName(ns), ""),
			"spec": obj{
				"conditions": []obj{{"namespaces": []string{ns}}},
				"provider": obj{"vault": obj{
					"server":     "https://vault." + vault.Namespace + ".svc:8200",
					"version":    "v2",
					"caProvider": obj{"type": "Secret", "name": vault.TLSSecret, "key": "ca.crt", "namespace": vault.Namespace},
					"auth": obj{"kubernetes": obj{
						"mountPath":         vaultnames.KubernetesAuthPath,
						"role":              VaultRole(ns),
						"serviceAccountRef": obj{"name": SecretsServiceAccount, "namespace": ns, "audiences": []string{vaultnames.Audience}},
					}},
				}},
			},
		})
	}
	return accounts, stores
}

// storeAccount is the service account a secret store logs in to Vault as.
// The External Secrets controller requests its token (TokenRequest), so
// it never needs one mounted; it carries the labels the platform's
// Gatekeeper policy requires (the team owning the namespace).
func (v valuesFor) storeAccount(meta obj, ns string) obj {
	labels := map[string]string{"app.kubernetes.io/name": SecretsServiceAccount}
	for k, val := range v.labels() {
		labels[k] = val
	}
	for _, t := range v.p.TeamList {
		if slices.Contains(t.Namespaces, ns) {
			labels["idpgen.dev/team"] = t.Name
		}
	}
	meta["labels"] = labels
	return obj{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta, "automountServiceAccountToken": false}
}
