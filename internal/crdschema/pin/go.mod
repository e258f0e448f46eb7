// This module only pins the upstream Go modules whose source trees carry
// the CustomResourceDefinitions idpgen's tests validate generated objects
// against (package crdschema reads the versions below and the files from
// the Go module cache). It is a module of its own, never built: argo-cd/v3
// and external-secrets cannot be required by idpgen's go.mod, because their
// own go.mod files pin sub-modules at v0.0.0 through replace directives
// (k8s.io/kubernetes staging modules; external-secrets' apis and
// providers), which breaks any module graph they enter. Bump a version
// here and the tests validate against the new CRDs.
module github.com/idpgen/idpgen/internal/crdschema/pin

go 1.26

require (
	// Argo CD v3.5 (v3.6 needs go 1.27): manifests/crds/*.yaml.
	github.com/argoproj/argo-cd/v3 v3.5.7
	// External Secrets Operator: config/crds/bases/*.yaml (and the Helm
	// chart in deploy/charts/external-secrets).
	github.com/external-secrets/external-secrets v1.3.2
)
