// Package gatekeeper emits the platform's policy for Gatekeeper in every
// environment where Gatekeeper is installed: the ConstraintTemplates
// (built-in and custom), the environment's Constraints and the Config
// that syncs what the templates look up into data.inventory. Argo CD
// deploys the directory after Gatekeeper (the add-on resources' wave).
//
// Layout below generated/:
//
//	base/policy/templates.yaml                   ConstraintTemplates (sync wave 0), the same everywhere
//	environments/<env>/policy/kustomization.yaml the base, and:
//	environments/<env>/policy/constraints.yaml   Constraints (sync wave 1)
//	environments/<env>/policy/config.yaml        Gatekeeper's Config
package gatekeeper

import (
	"path"

	kusttypes "sigs.k8s.io/kustomize/api/types"

	"github.com/idpgen/idpgen/internal/model"
	"github.com/idpgen/idpgen/internal/policy"
	"github.com/idpgen/idpgen/internal/tree"
)

// Emitter writes the policy directories.
type Emitter struct{}

// New returns the emitter.
func New() Emitter { return Emitter{} }

// Name identifies the emitter in errors.
func (Emitter) Name() string { return "gatekeeper" }

// Dir is the policy directory of env (argocd.Components deploys it).
func Dir(env string) string { return path.Join("environments", env, "policy") }

// BaseDir holds the templates every environment deploys.
const BaseDir = "base/policy"

// Emit writes every environment's policy directory.
func (e Emitter) Emit(p *model.Platform, out *tree.Tree) error {
	templates := policy.Templates(p)
	tobjs := make([]any, len(templates))
	for i, t := range templates {
		tobjs[i] = t.Object(policy.WaveTemplates)
	}
	tdata, err := tree.YAML(tobjs...)
	if err != nil {
		return err
	}
	base := false
	for _, env := range p.EnvironmentList {
		if !p.Addons.Gatekeeper.In(env.Name) {
			continue
		}
		dir := Dir(env.Name)
		var cobjs []any
		for _, c := range policy.Constraints(p, env, templates) {
			cobjs = append(cobjs, c.Object())
		}
		cdata, err := tree.YAML(cobjs...)
		if err != nil {
			return err
		}
		config, err := tree.YAML(syncConfig(p.Addons.Gatekeeper.Namespace))
		if err != nil {
			return err
		}
		k := &kusttypes.Kustomization{}
		k.APIVersion, k.Kind = kusttypes.KustomizationVersion, kusttypes.KustomizationKind
		k.Resources = []string{"../../../" + BaseDir, "config.yaml", "constraints.yaml"}
		kdata, err := tree.YAML(k)
		if err != nil {
			return err
		}
		for name, data := range map[string][]byte{"constraints.yaml": cdata, "config.yaml": config, "kustomization.yaml": kdata} {
			if err := out.Add(e.Name(), path.Join(dir, name), data); err != nil {
				return err
			}
		}
		base = true
	}
	if !base {
		return nil
	}
	k := &kusttypes.Kustomization{}
	k.APIVersion, k.Kind = kusttypes.KustomizationVersion, kusttypes.KustomizationKind
	k.Resources = []string{"templates.yaml"}
	kdata, err := tree.YAML(k)
	if err != nil {
		return err
	}
	if err := out.Add(e.Name(), path.Join(BaseDir, "templates.yaml"), tdata); err != nil {
		return err
	}
	return out.Add(e.Name(), path.Join(BaseDir, "kustomization.yaml"), kdata)
}

// syncConfig is Gatekeeper's Config: it replicates the kinds the
// templates read from data.inventory (Gatekeeper reads only the Config
// named config in its own namespace).
func syncConfig(namespace string) map[string]any {
	var kinds []any
	for _, k := range policy.SyncedKinds {
		kinds = append(kinds, map[string]any{"group": k.Group, "version": k.Version, "kind": k.Kind})
	}
	return map[string]any{
		"apiVersion": "config.gatekeeper.sh/v1alpha1",
		"kind":       "Config",
		"metadata": map[string]any{
			"name": "config", "namespace": namespace,
			"annotations": map[string]any{"argocd.argoproj.io/sync-wave": "0"},
		},
		"spec": map[string]any{"sync": map[string]any{"syncOnly": kinds}},
	}
}
