package validate

import (
	"maps"
	"regexp"
	"slices"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/errors"

	"github.com/idpgen/idpgen/internal/diag"
	"github.com/idpgen/idpgen/internal/model"
	"github.com/idpgen/idpgen/internal/secretscan"
)

// envSecrets refuses credentials in a service's plain env (and its
// overrides' env): a variable whose name says it holds a credential and has
// a literal value, or any value that looks like one (internal/secretscan).
// envNotSecret lets a reviewer accept one variable, with a reason.
func envSecrets(svc *model.Service, add func(errors.Error)) {
	check := func(sel cue.Path, name, value string) {
		if _, ok := svc.EnvNotSecret[name]; ok {
			return
		}
		if _, dup := svc.Secrets[name]; dup {
			return // reported as set both in env and in secrets
		}
		remedy := "move it to secrets as a Vault reference (secrets: " + name + `: {path: "kv/data/<path>", key: "<key>"}), or, if it is not a secret, accept it with envNotSecret: ` + name + `: "<reason>"`
		if f, ok := secretscan.Value(value); ok {
			add(diag.AtPath(svc.Src, sel, "%s holds what looks like %s (%s); %s", name, f.Kind, redact(f.Match), remedy))
			return
		}
		if word, ok := secretscan.Name(name); ok && secretscan.Literal(value) {
			add(diag.AtPath(svc.Src, sel, "%s is named like a secret (%s) and has a literal value; %s", name, word, remedy))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(svc.Env)) {
		check(diag.Sel("env", name), name, svc.Env[name])
	}
	used := map[string]bool{}
	for name := range svc.Env {
		used[name] = true
	}
	for _, envName := range slices.Sorted(maps.Keys(svc.Overrides)) {
		o := svc.Overrides[envName]
		for _, name := range slices.Sorted(maps.Keys(o.Env)) {
			used[name] = true
			check(diag.Sel("overrides", envName, "env", name), name, o.Env[name])
		}
	}
	// An opt-out for a variable that is gone would silently accept the
	// next variable of that name: it must be removed with the variable.
	for _, name := range slices.Sorted(maps.Keys(svc.EnvNotSecret)) {
		if !used[name] {
			add(diag.AtPath(svc.Src, diag.Sel("envNotSecret", name), "%s is not a variable of env or of an override's env; remove it from envNotSecret", name))
		}
	}
}

// redact shows enough of a credential to find it, never all of it: the
// error message may end up in CI logs.
func redact(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) <= 12 {
		return s[:min(4, len(s))] + "…"
	}
	return s[:8] + "…"
}

// vaultPathRE is the one form #VaultRef.path takes: the KV v2 API path
// "<mount>/data/<path>" (what a Vault policy grants and what the External
// Secrets Operator reads verbatim), never the Vault CLI's shorthand
// "<mount>/<path>" that `vault kv get` expands.
var vaultPathRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*/data(/[a-z0-9_-]+)+$`)

// vaultPaths checks every Vault reference of the platform.
func vaultPaths(p *model.Platform, add func(errors.Error)) {
	check := func(src cue.Value, sel cue.Path, ref model.VaultRef) {
		if vaultPathRE.MatchString(ref.Path) {
			return
		}
		msg := "Vault path %q is not a KV v2 API path <mount>/data/<path> (the Vault CLI's `vault kv get kv/app/db` reads kv/data/app/db)"
		args := []any{ref.Path}
		if mount, rest, ok := strings.Cut(ref.Path, "/"); ok && rest != "" && !strings.HasPrefix(rest, "data/") {
			msg += "; did you mean %q?"
			args = append(args, mount+"/data/"+rest)
		}
		add(diag.AtPath(src, diag.Sel(sel, "path"), msg, args...))
	}
	for _, svc := range p.ServiceList {
		if svc.Invalid {
			continue
		}
		for _, name := range slices.Sorted(maps.Keys(svc.Secrets)) {
			check(svc.Src, diag.Sel("secrets", name), svc.Secrets[name])
		}
	}
	if dd := p.Addons.Datadog; dd.APIKey != nil {
		check(p.Src, diag.Sel("addons", "datadog", "apiKey"), *dd.APIKey)
	}
	if dd := p.Addons.Datadog; dd.AppKey != nil {
		check(p.Src, diag.Sel("addons", "datadog", "appKey"), *dd.AppKey)
	}
}
