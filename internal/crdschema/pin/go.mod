// This module only pins the upstream Go modules whose source trees carry
// the CustomResourceDefinitions idpgen's tests validate generated objects
// against, and the Helm charts whose templates the add-on tests render
// (package crdschema reads the versions below and the files from the Go
// module cache). It is a module of its own, never built: argo-cd/v3
// and external-secrets cannot be required by idpgen's go.mod, because their
// own go.mod files pin sub-modules at v0.0.0 through replace directives
// (k8s.io/kubernetes staging modules; external-secrets' apis and
// providers), which breaks any module graph they enter. Bump a version
// here and the tests validate against the new CRDs.
module github.com/idpgen/idpgen/internal/crdschema/pin

go 1.26.6

require (
	// Argo CD v3.5 (v3.6 needs go 1.27): manifests/crds/*.yaml.
	github.com/argoproj/argo-cd/v3 v3.5.7
	// Karpenter: charts/karpenter at the v1.14.1 tag, the tree chart 1.14.1
	// is packaged from (the release sets version and image when packaging;
	// the tag's Chart.yaml still says 1.13.0). v1.14.2 and later need a
	// newer Go than the toolchain.
	github.com/aws/karpenter-provider-aws v1.14.1
	// External Secrets Operator: config/crds/bases/*.yaml (and the Helm
	// chart in deploy/charts/external-secrets).
	github.com/external-secrets/external-secrets v1.3.2
	// Vault: the chart is the module's root, chart 0.34.1.
	github.com/hashicorp/vault-helm v0.34.1

	// Helm charts of the add-ons, at the chart version of the catalog
	// (schemas/catalog.cue) or the nearest one the module proxy serves.
	// Gatekeeper: charts/gatekeeper, chart 3.23.0.
	github.com/open-policy-agent/gatekeeper/v3 v3.23.0
	// Velero: charts/velero; a repository of many charts without Go tags,
	// so a pseudo-version: the commit tagged velero-12.1.0.
	github.com/vmware-tanzu/helm-charts v0.0.0-20260625104947-73466ca986bb
	// Velero itself (the chart above installs it): config/crd/v1/bases/
	// velero.io_{schedules,backupstoragelocations,volumesnapshotlocations}.yaml,
	// the server the chart's appVersion 1.18 runs. Needs go 1.26.6.
	github.com/vmware-tanzu/velero v1.18.3
	// Istio tags are not SemVer, so the proxy serves only pseudo-versions:
	// this is the newest commit of the release-1.30 branch it serves
	// (2026-08-26), standing in for 1.30.3; its charts under
	// manifests/charts say version 1.0.0 until a release packages them.
	istio.io/istio v0.0.0-20260826214018-9739e10eb9d7
	// VPA: charts/vertical-pod-autoscaler. No version of the module
	// carries the catalog's chart 0.11.0: v1.7.x carries 0.9.0, v1.8.x
	// 0.13.0. v1.7.3 (chart 0.9.0) is as near and runs VPA 1.7, the line
	// the catalog installs.
	k8s.io/autoscaler/vertical-pod-autoscaler v1.7.3
	// metrics-server: charts/metrics-server, chart 3.12.2 (in the v0.8.0
	// tree, not in v0.7.2's, which has 3.12.1).
	sigs.k8s.io/metrics-server v0.8.0
	// Datadog Operator: config/crd/bases/v1/datadoghq.com_datadog{monitors,slos}.yaml,
	// at the operator version the catalog's datadog chart 3.240.0 runs
	// (its bundled datadog-operator chart 2.25.0, image tag 1.29.0).
	github.com/DataDog/datadog-operator v1.29.0
	// Gateway API: config/crd/standard/*.yaml, at the version the pinned
	// Istio builds against (its go.mod); argocd.GatewayAPIVersion installs
	// the same CRDs in the clusters.
	sigs.k8s.io/gateway-api v1.5.1
	// Not pinned: the module proxy serves no version of the Trivy operator
	// (github.com/aquasecurity/trivy-operator) or of DataDog/helm-charts;
	// sigs.k8s.io/aws-load-balancer-controller only at v1.1.9 (its v2 tags
	// are not valid for that module path); github.com/argoproj/argo-helm
	// not at the commit tagged argo-cd-10.1.1, and its argo-cd chart needs
	// the redis-ha dependency, which is not in the source tree.
)
