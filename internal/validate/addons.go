package validate

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/errors"

	"github.com/idpgen/idpgen/internal/diag"
	"github.com/idpgen/idpgen/internal/model"
)

// sharedNamespace may hold several add-ons: it is the cluster's own.
const sharedNamespace = "kube-system"

// addons checks what the add-ons need from the rest of the platform: a
// catalog release that exists and supports each environment's Kubernetes
// version, the AWS resources they use, their secrets, and a namespace of
// their own.
func addons(p *model.Platform, add func(errors.Error)) {
	addonSrc := func(key string) cue.Value { return p.Src.LookupPath(cue.MakePath(cue.Str("addons"), cue.Str(key))) }
	for _, a := range p.Addons.List() {
		if !a.Enabled {
			continue
		}
		src := addonSrc(a.Key)
		for i, env := range a.Environments {
			if p.Environments[env] == nil {
				add(diag.At(src, fmt.Sprintf("environments[%d]", i), "unknown environment %q; expected one of: %s", env, keys(p.Environments)))
			}
		}
		cat, ok := p.Catalog[a.Key]
		if !ok {
			add(diag.At(src, "", "add-on %s has no entry in the chart catalog", a.Key))
			continue
		}
		version := a.ChartVersion(cat)
		kr, ok := cat.Releases[version]
		if !ok {
			add(diag.At(src, "version", "chart version %s of %s is not in the catalog; approved releases: %s (add it to catalog.%s.releases after review)",
				version, chartNames(cat), strings.Join(slices.Sorted(maps.Keys(cat.Releases)), ", "), a.Key))
			continue
		}
		for _, env := range p.EnvironmentList {
			if !a.In(env.Name) || kr.Contains(env.Kubernetes.Version) {
				continue
			}
			sel := "version"
			if a.Version == "" {
				sel = "enabled"
			}
			add(diag.Also(diag.At(src, sel, "%s %s supports Kubernetes %s to %s, but environment %q runs %s; pin a release that supports it or change the environment",
				chartNames(cat), version, kr.KubeMin, kr.KubeMax, env.Name, env.Kubernetes.Version),
				diag.SourcePos(env.Src.LookupPath(cue.ParsePath("kubernetes.version")))))
		}
	}

	// Prerequisites, per environment.
	type prereq struct {
		addon    model.NamedAddon
		have     func(*model.Environment) bool
		resource string // field below addonResources
		what     string
	}
	karpenter, _ := p.Addons.Get(model.AddonKarpenter)
	velero, _ := p.Addons.Get(model.AddonVelero)
	vault, _ := p.Addons.Get(model.AddonVault)
	prereqs := []prereq{
		{velero, func(e *model.Environment) bool { return e.AddonResources.BackupBucket }, "backupBucket", "a backup bucket to write to"},
		{karpenter, func(e *model.Environment) bool { return e.AddonResources.InterruptionQueue }, "interruptionQueue", "its interruption queue"},
		{vault, func(e *model.Environment) bool { return e.AddonResources.VaultUnsealKey }, "vaultUnsealKey", "its KMS unseal key"},
	}
	for _, env := range p.EnvironmentList {
		for _, pr := range prereqs {
			if pr.addon.In(env.Name) && !pr.have(env) {
				add(diag.Also(diag.At(env.Src, "addonResources."+pr.resource, "add-on %s is enabled in environment %q and needs %s; set addonResources.%s: true or disable the add-on here",
					pr.addon.Key, env.Name, pr.what, pr.resource),
					diag.SourcePos(addonSrc(pr.addon.Key).LookupPath(cue.ParsePath("enabled")))))
			}
		}
		secrets := p.Addons.SecretsOperator.In(env.Name)
		if p.Addons.Datadog.In(env.Name) {
			switch {
			case p.Addons.Datadog.APIKey == nil:
				add(diag.At(addonSrc(model.AddonDatadog), "apiKey", "datadog is enabled but apiKey is not set: give the Vault path and key of the Datadog API key (never the key itself)"))
			case !secrets:
				add(diag.At(addonSrc(model.AddonDatadog), "apiKey", "datadog reads its API key from Vault through the secrets operator, which is not enabled in environment %q", env.Name))
			}
		}
		if secrets && !p.Addons.Vault.In(env.Name) {
			add(diag.At(addonSrc(model.AddonSecretsOperator), "enabled", "the secrets operator reads from the platform's Vault, which is not enabled in environment %q", env.Name))
		}
		if !secrets {
			for _, svc := range p.ServiceList {
				if len(svc.Secrets) > 0 && svc.Enabled(env.Name) {
					add(diag.At(svc.Src, "secrets", "%s has Vault secrets, but the secrets operator that syncs them is not enabled in environment %q", svc.Name, env.Name))
				}
			}
		}

		// Namespaces: one add-on each, never a team's.
		claimed := map[string]model.NamedAddon{}
		teamOf := map[string]string{}
		for _, t := range p.TeamList {
			for _, ns := range t.Namespaces {
				teamOf[ns] = t.Name
			}
		}
		for _, a := range p.Addons.List() {
			if !a.In(env.Name) {
				continue
			}
			src := addonSrc(a.Key)
			if team, ok := teamOf[a.Namespace]; ok {
				add(diag.At(src, "namespace", "namespace %q is owned by team %q; an add-on needs a namespace of its own", a.Namespace, team))
			}
			if a.Namespace == sharedNamespace {
				continue
			}
			if prev, ok := claimed[a.Namespace]; ok {
				// Report on the add-on whose namespace the platform set, not
				// on the one keeping the schema's default.
				this, other := a, prev
				if schemaDefault(src.LookupPath(cue.ParsePath("namespace"))) {
					this, other = prev, a
				}
				add(diag.Also(diag.At(addonSrc(this.Key), "namespace", "namespace %q is also claimed by add-on %s in environment %q; each add-on needs its own namespace", a.Namespace, other.Key, env.Name),
					diag.SourcePos(addonSrc(other.Key).LookupPath(cue.ParsePath("namespace")))))
				continue
			}
			claimed[a.Namespace] = a
		}
	}
}

func chartNames(c model.ChartSource) string {
	var names []string
	for _, ch := range c.Charts {
		names = append(names, ch.Chart)
	}
	return "chart " + strings.Join(names, ", ")
}

// schemaDefault reports whether v was written in the schemas package (a
// default) rather than by the platform.
func schemaDefault(v cue.Value) bool {
	return strings.Contains(filepath.ToSlash(diag.SourcePos(v).Filename()), "/schemas/")
}
