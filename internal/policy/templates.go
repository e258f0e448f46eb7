// Package policy is the platform's Gatekeeper policy, twice: the
// ConstraintTemplates and Constraints the cluster enforces (built from
// #Policy, per environment), and the same Rego evaluated by OPA at render
// time against every rendered object as the cluster will receive it (the
// Kustomize overlays applied), so that a violation fails render and vet
// at the CUE line of the service that produced it.
package policy

import (
	"embed"
	"fmt"
	"slices"
	"strings"

	"github.com/idpgen/idpgen/internal/model"
)

//go:embed rego/*.rego
var regoFiles embed.FS

// Template is one ConstraintTemplate: a constraint kind, the schema of its
// parameters and its Rego (v1 syntax, package the kind in lower case).
type Template struct {
	Kind        string
	Description string
	// Schema is the openAPIV3Schema of spec.parameters' properties.
	Schema map[string]any
	Rego   string
	// Custom is the declaration of a platform team's policy; nil for a
	// built-in one.
	Custom *model.CustomPolicy
	// Inventory marks a template that reads data.inventory (the objects
	// Gatekeeper's Config syncs; at render time, the environment's).
	Inventory bool
}

// Name is the template's metadata.name, and its Rego package.
func (t *Template) Name() string { return strings.ToLower(t.Kind) }

// Built-in constraint kinds.
const (
	KindRequiredLabels     = "K8sRequiredLabels"
	KindAllowedRepos       = "K8sAllowedRepos"
	KindImagePinning       = "K8sImagePinning"
	KindContainerResources = "K8sContainerResources"
	KindPodSecurity        = "K8sPodSecurity"
	KindRequiredProbes     = "K8sRequiredProbes"
	KindExposedServices    = "K8sExposedServices"
	KindNoAutomountToken   = "K8sNoAutomountToken"
	KindProdAvailability   = "K8sProdAvailability"
)

func strs() map[string]any {
	return map[string]any{"type": "array", "items": map[string]any{"type": "string"}}
}

func boolean() map[string]any { return map[string]any{"type": "boolean"} }

// builtins are the platform's own templates; whether they are enforced
// and with which parameters is decided per environment (Constraints).
var builtins = []*Template{
	{Kind: KindRequiredLabels, Description: "Objects and their pod templates carry the labels every platform tool relies on.",
		Schema: map[string]any{"labels": strs()}},
	{Kind: KindAllowedRepos, Description: "Images come from the platform's ECR or a registry of policy.allowedRegistries.",
		Schema: map[string]any{"repos": strs()}},
	{Kind: KindImagePinning, Description: "Images are never latest (or untagged), and are pinned by digest where requireDigest is set.",
		Schema: map[string]any{"disallowedTags": strs(), "requireDigest": boolean()}},
	{Kind: KindContainerResources, Description: "Containers request CPU and memory, and set the limits policy.requiredLimits lists.",
		Schema: map[string]any{"requests": strs(), "limits": strs()}},
	{Kind: KindPodSecurity, Description: "The Pod Security Standard (baseline, or restricted) and a read-only root filesystem.",
		Schema: map[string]any{"level": map[string]any{"type": "string", "enum": []any{"baseline", "restricted"}}, "readOnlyRootFilesystem": boolean()}},
	{Kind: KindRequiredProbes, Description: "Web workloads' containers have liveness and readiness probes.",
		Schema: map[string]any{"probes": strs()}},
	{Kind: KindExposedServices, Description: "No Service of type NodePort or LoadBalancer outside the ingress path.",
		Schema: map[string]any{"disallowedTypes": strs()}},
	{Kind: KindNoAutomountToken, Description: "Neither service accounts nor pods mount the API token by default.",
		Schema: map[string]any{}},
	{Kind: KindProdAvailability, Description: "Prod workloads run at least minReplicas pods and a PodDisruptionBudget covers them.",
		Schema:    map[string]any{"minReplicas": map[string]any{"type": "integer"}, "exempt": strs()},
		Inventory: true},
}

// podHelpers is Rego that templates reading pod specs include: Gatekeeper
// templates are self-contained (libs would work too, but one module per
// template is what `kubectl get constrainttemplate -o yaml` shows whole).
var podHelpers = mustRead("rego/_pod.rego")

func init() {
	for _, t := range builtins {
		src := mustRead("rego/" + t.Name() + ".rego")
		if strings.Contains(src, "pod_spec") || strings.Contains(src, "containers") || strings.Contains(src, "pod_meta") {
			src += podHelpers
		}
		t.Rego = src
	}
}

func mustRead(name string) string {
	data, err := regoFiles.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return string(data)
}

// Templates lists the built-in templates and the platform's custom ones
// (by kind), in a fixed order.
func Templates(p *model.Platform) []*Template {
	out := slices.Clone(builtins)
	for _, kind := range sortedKeys(p.Policy.Custom) {
		c := p.Policy.Custom[kind]
		out = append(out, &Template{Kind: kind, Description: c.Description, Schema: c.Schema, Rego: c.Source, Custom: c})
	}
	return out
}

// Builtin reports whether kind is one of idpgen's own templates.
func Builtin(kind string) bool {
	return slices.ContainsFunc(builtins, func(t *Template) bool { return t.Kind == kind })
}

// Object is the ConstraintTemplate Gatekeeper ingests.
func (t *Template) Object(wave int) map[string]any {
	ann := map[string]any{annotationWave: fmt.Sprint(wave)}
	if t.Description != "" {
		ann["description"] = t.Description
	}
	schema := map[string]any{"type": "object", "properties": t.Schema}
	if t.Schema == nil {
		schema["properties"] = map[string]any{}
	}
	return map[string]any{
		"apiVersion": "templates.gatekeeper.sh/v1",
		"kind":       "ConstraintTemplate",
		"metadata":   map[string]any{"name": t.Name(), "annotations": ann},
		"spec": map[string]any{
			"crd": map[string]any{"spec": map[string]any{
				"names":      map[string]any{"kind": t.Kind},
				"validation": map[string]any{"openAPIV3Schema": schema},
			}},
			"targets": []any{map[string]any{
				"target": "admission.k8s.gatekeeper.sh",
				"code": []any{map[string]any{
					"engine": "Rego",
					"source": map[string]any{"version": "v1", "rego": t.Rego},
				}},
			}},
		},
	}
}
