package model

import "cuelang.org/go/cue"

// CustomPolicy is a platform team's own Gatekeeper policy: Rego in a file
// of the platform's directory, declared in CUE (#CustomPolicy).
type CustomPolicy struct {
	Rego        string         `json:"rego"`
	Description string         `json:"description,omitempty"`
	Parameters  map[string]any `json:"parameters"`
	Schema      map[string]any `json:"schema"`
	Match       PolicyMatch    `json:"match"`

	// Source is the Rego file's content, read by the loader from the
	// platform's directory (Rego is a path relative to it).
	Source string    `json:"-"`
	Src    cue.Value `json:"-"`
}

// PolicyMatch is a constraint's spec.match.
type PolicyMatch struct {
	Kinds []struct {
		APIGroups []string `json:"apiGroups"`
		Kinds     []string `json:"kinds"`
	} `json:"kinds"`
	Namespaces         []string `json:"namespaces,omitempty"`
	ExcludedNamespaces []string `json:"excludedNamespaces,omitempty"`
	LabelSelector      *struct {
		MatchLabels map[string]string `json:"matchLabels"`
	} `json:"labelSelector,omitempty"`
	Scope string `json:"scope"`
}

// EnforcementFor is policy.enforcement of env's tier.
func (p Policy) EnforcementFor(env *Environment) string {
	if env.Prod() {
		return p.Enforcement.Prod
	}
	return p.Enforcement.Nonprod
}
