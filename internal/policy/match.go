package policy

import (
	"slices"
	"strings"

	"github.com/idpgen/idpgen/internal/model"
)

// Matches reports whether a constraint's spec.match selects o, as
// Gatekeeper's match does: kinds (an empty list or "*" matches all),
// scope, namespaces and excludedNamespaces (exact names or prefix globs
// ending in "*"; a Namespace object is matched by its own name;
// other cluster-scoped objects are not filtered by namespace) and
// labelSelector.matchLabels.
func Matches(m *model.PolicyMatch, o *Object) bool {
	if !matchesKind(m, o.Group, o.Kind) {
		return false
	}
	switch m.Scope {
	case "Namespaced":
		if o.Namespace == "" {
			return false
		}
	case "Cluster":
		if o.Namespace != "" {
			return false
		}
	}
	ns := o.Namespace
	if o.Group == "" && o.Kind == "Namespace" {
		ns = o.Name
	}
	if ns != "" {
		if len(m.Namespaces) > 0 && !slices.ContainsFunc(m.Namespaces, func(p string) bool { return globMatch(p, ns) }) {
			return false
		}
		if slices.ContainsFunc(m.ExcludedNamespaces, func(p string) bool { return globMatch(p, ns) }) {
			return false
		}
	}
	if m.LabelSelector != nil {
		meta, _ := o.Obj["metadata"].(map[string]any)
		labels, _ := meta["labels"].(map[string]any)
		for k, v := range m.LabelSelector.MatchLabels {
			if got, ok := labels[k].(string); !ok || got != v {
				return false
			}
		}
	}
	return true
}

// matchesKind is the kinds part of Matches.
func matchesKind(m *model.PolicyMatch, group, kind string) bool {
	return len(m.Kinds) == 0 || slices.ContainsFunc(m.Kinds, func(k kinds) bool {
		return (slices.Contains(k.APIGroups, group) || slices.Contains(k.APIGroups, "*")) &&
			(len(k.Kinds) == 0 || slices.Contains(k.Kinds, kind) || slices.Contains(k.Kinds, "*"))
	})
}

// Evaluated selects, by API group and kind, the objects an evaluation of
// constraints can look at: those some constraint's kinds match, and the
// synced kinds of data.inventory (for Builder.Only).
func Evaluated(constraints []*Constraint) func(group, kind string) bool {
	return func(group, kind string) bool {
		for _, k := range SyncedKinds {
			if k.Group == group && k.Kind == kind {
				return true
			}
		}
		return slices.ContainsFunc(constraints, func(c *Constraint) bool { return matchesKind(&c.Match, group, kind) })
	}
}

func globMatch(pattern, s string) bool {
	if p, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(s, p)
	}
	return pattern == s
}
