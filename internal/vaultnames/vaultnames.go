// Package vaultnames holds the Vault names both sides of the secrets path
// use: the secret stores and ExternalSecrets (internal/emit/addons) and the
// Vault Terraform module that declares the roles and policies they log in
// with (internal/emit/vault). Emitters do not import each other; they share
// these.
package vaultnames

import (
	"path"
	"strings"
)

const (
	// ServiceAccount is the service account, in each namespace with
	// secrets, that the namespace's secret store logs in to Vault as.
	ServiceAccount = "vault-secrets"
	// KubernetesAuthPath is where the Kubernetes auth method is mounted.
	KubernetesAuthPath = "kubernetes"
	// Audience is the audience of the service account tokens the secret
	// stores present, and the only one the Vault roles accept: a token
	// minted for another audience (the API server's) cannot log in.
	Audience = "vault"
	// ProviderSource and ProviderVersion pin the Terraform Vault provider
	// (v5.11.0 is the newest release seen, 2026-08).
	ProviderSource  = "hashicorp/vault"
	ProviderVersion = "~> 5.11"
)

// Role is the Vault Kubernetes-auth role of a namespace's secret store.
func Role(ns string) string { return "eso-" + ns }

// Policy is the Vault policy of a namespace's secret store: read on exactly
// the paths the namespace's ExternalSecrets reference.
func Policy(ns string) string { return "eso-" + ns }

// Store is the ClusterSecretStore serving one namespace.
func Store(ns string) string { return "vault-" + ns }

// Dir is where an environment's Vault root module lives, below generated/.
func Dir(env string) string { return path.Join("environments", env, "vault-terraform") }

// StateKey is the Vault module's state object in the platform's state
// bucket, next to the AWS module's.
func StateKey(platform, env string) string { return platform + "/" + env + "/vault.tfstate" }

// Mount is the KV v2 mount of a path in the API form "<mount>/data/<path>"
// (the form #VaultRef.path takes, validated before rendering).
func Mount(apiPath string) string {
	mount, _, _ := strings.Cut(apiPath, "/")
	return mount
}

// DatadogAppKeySecret is the ExternalSecret (and Secret, key "app-key")
// holding the Datadog application key of addons.datadog.appKey: the
// secrets emitter writes it, the Vault cross-check traces it back to that
// field.
const DatadogAppKeySecret = "datadog-app-key"

// Vault's scheduled raft snapshots (addons.vault.snapshots): the CronJob
// and its service account in the Vault add-on's namespace
// (internal/emit/addons), the Vault role and policy it logs in with
// (internal/emit/vault), its Pod Identity role and the S3 prefix it may
// write (internal/emit/terraform, internal/awsnames).
const (
	// Snapshots names the CronJob, its service account, its Vault role
	// and policy.
	Snapshots = "vault-snapshots"
	// SnapshotPath is the only Vault API path the snapshot policy allows
	// (read: `vault operator raft snapshot save`).
	SnapshotPath = "sys/storage/raft/snapshot"
	// SnapshotVaultImage is the Vault CLI that takes the snapshot: the
	// server image of the pinned chart (vault-helm 0.34.1, values.yaml
	// server.image; a test holds them equal).
	SnapshotVaultImage = "hashicorp/vault:2.0.4"
	// SnapshotUploadImage uploads it: the AWS CLI v2 from ECR Public,
	// pinned by tag.
	SnapshotUploadImage = "public.ecr.aws/aws-cli/aws-cli:2.36.46"
)

// SnapshotPrefix is where an environment's snapshots are written in its
// backup bucket: the IAM role may write nothing else, and the S3
// lifecycle rule expires exactly this prefix.
func SnapshotPrefix(env string) string { return "vault-snapshots/" + env + "/" }
