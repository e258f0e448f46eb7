// Package upgrade holds idpgen's Kubernetes upgrade rules, checked on every
// render (Check), and the step-by-step plan of one environment's upgrade
// (NewPlan, `idpgen upgrade plan`). The version data is internal/eksversions
// (support calendar, add-ons, node image) and RemovedAPIs (apis.go).
package upgrade

import (
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/token"

	"github.com/idpgen/idpgen/internal/diag"
	"github.com/idpgen/idpgen/internal/eksversions"
	"github.com/idpgen/idpgen/internal/model"
	"github.com/idpgen/idpgen/internal/tree"
)

// Input is what the rules look at.
type Input struct {
	Platform *model.Platform
	// Tree is the rendered tree (nil: the removed-API scan is skipped).
	Tree *tree.Tree
	// Committed is each environment's Kubernetes minor as the tree on disk
	// declares it (see Committed); an environment missing has nothing to
	// compare with (a first render, or a new environment).
	Committed map[string]string
	// OutDir names the tree on disk in messages ("generated").
	OutDir string
	// Today is the day the support calendar is read for (YYYY-MM-DD).
	Today string
}

// Check applies every upgrade rule. Warnings do not stop a render; errors
// do. Both are located at the environment's kubernetes.version.
func Check(in Input) (warnings, errs error) {
	p := in.Platform
	var warn, bad errors.Error
	// Run it when nothing else reads the CUE values (they are not safe
	// for concurrent use): after the verifiers.
	at := func(env *model.Environment) token.Pos {
		if pos := diag.SourcePos(env.Src.LookupPath(cue.ParsePath("kubernetes.version"))); !isSchema(pos) {
			return pos
		}
		return diag.SourcePos(env.Src)
	}
	report := func(list *errors.Error, env *model.Environment, format string, args ...any) errors.Error {
		e := diag.AtPath(env.Src, diag.Sel("kubernetes", "version"), format, args...)
		if isSchema(e.Position()) {
			// The version is the schema's default: point at the
			// environment the user wrote.
			e = diag.New(diag.SourcePos(env.Src), e.Path(), format, args...)
		}
		*list = errors.Append(*list, e)
		return e
	}

	minors := map[string]int{}
	for _, env := range p.EnvironmentList {
		v := env.Kubernetes.Version
		n, ok := eksversions.ParseMinor(v)
		if !ok {
			continue
		}
		minors[env.Name] = n
		ver, known := eksversions.Lookup(v)
		if !known {
			continue // validate reports a version EKS never offered
		}
		// A version past extended support is an error in validate.
		switch ver.PhaseOn(in.Today) {
		case eksversions.Extended:
			report(&warn, env, "Kubernetes %s is in EKS extended support until %s (standard support ended %s): the control plane costs $%.2f per cluster-hour instead of $%.2f, about $%.0f more a month; after %s EKS upgrades it on its own (idpgen upgrade plan %s)",
				v, ver.ExtendedEnd, ver.StandardEnd, eksversions.ExtendedUSDPerHour, eksversions.StandardUSDPerHour, eksversions.MonthlyExtra(), ver.ExtendedEnd, env.Name)
		}
	}

	// Promotion order: no environment ahead of the one before it; all
	// within one minor of each other.
	var prev *model.Environment
	var oldest *model.Environment
	for _, env := range p.EnvironmentList {
		n, ok := minors[env.Name]
		if !ok {
			continue
		}
		if prev != nil && n > minors[prev.Name] {
			diag.Also(report(&bad, env, "environment %q would run Kubernetes %s, newer than %q (%s), which comes before it in the promotion order; upgrade %s first",
				env.Name, env.Kubernetes.Version, prev.Name, prev.Kubernetes.Version, prev.Name), at(prev))
		}
		prev = env
		if oldest == nil || n < minors[oldest.Name] {
			oldest = env
		}
	}
	if oldest != nil {
		for _, env := range p.EnvironmentList {
			if n, ok := minors[env.Name]; ok && n > minors[oldest.Name]+1 {
				diag.Also(report(&bad, env, "environment %q would run Kubernetes %s, %d minors ahead of %q (%s); environments may differ by at most one minor: upgrade %s to %s first",
					env.Name, env.Kubernetes.Version, n-minors[oldest.Name], oldest.Name, oldest.Kubernetes.Version, oldest.Name, eksversions.Minor(minors[oldest.Name]+1)), at(oldest))
			}
		}
	}

	// One step at a time, never down, from what the tree on disk declares.
	for _, env := range p.EnvironmentList {
		n, ok := minors[env.Name]
		was, known := in.Committed[env.Name]
		if !ok || !known {
			continue
		}
		w, ok := eksversions.ParseMinor(was)
		if !ok {
			continue
		}
		file := path.Join(in.OutDir, EKSFile(env.Name))
		switch {
		case n < w:
			report(&bad, env, "environment %q runs Kubernetes %s (%s), and EKS cannot downgrade a cluster: keep %s or later",
				env.Name, was, file, was)
		case n > w+1:
			report(&bad, env, "environment %q runs Kubernetes %s (%s); EKS upgrades one minor at a time: set %s, render and apply, then the next",
				env.Name, was, file, eksversions.Minor(w+1))
		}
	}

	// A pinned kube-proxy follows the cluster's minor.
	for _, env := range p.EnvironmentList {
		n, ok := minors[env.Name]
		pin := env.Kubernetes.Addons["kube-proxy"]
		if !ok || !strings.HasPrefix(pin, "v") {
			continue
		}
		pm, ok := eksversions.ParseMinor(strings.Join(strings.SplitN(pin[1:], ".", 3)[:2], "."))
		if !ok {
			continue
		}
		e := func(list *errors.Error, format string, args ...any) {
			*list = errors.Append(*list, diag.AtPath(env.Src, diag.Sel("kubernetes", "addons", "kube-proxy"), format, args...))
		}
		switch {
		case pm > n:
			e(&bad, "kube-proxy %s is newer than the cluster (Kubernetes %s); kube-proxy may not be newer than the API server: pin a %s build or use %q", pin, env.Kubernetes.Version, env.Kubernetes.Version, eksversions.AddonDefault)
		case pm < n:
			e(&warn, "kube-proxy %s is older than the cluster (Kubernetes %s); EKS recommends kube-proxy of the cluster's minor: pin a %s build or use %q", pin, env.Kubernetes.Version, env.Kubernetes.Version, eksversions.AddonDefault)
		}
	}

	// Removed and deprecated API versions in the rendered tree.
	if in.Tree != nil {
		for _, f := range ScanTree(in.Tree, fileMinor(p, minors)) {
			env := fileEnv(p, minors, f.Path)
			list := &bad
			if f.Status == Deprecated {
				list = &warn
			}
			report(list, env, "%s:%d: %s (environment %q runs Kubernetes %s)", path.Join(in.OutDir, f.Path), f.Line, f.describe(), env.Name, env.Kubernetes.Version)
		}
	}
	return sanitize(warn), sanitize(bad)
}

func sanitize(e errors.Error) error {
	if e == nil {
		return nil
	}
	return errors.Sanitize(e)
}

// fileMinor is the Kubernetes minor a file of the tree is applied to: its
// environment's, or for files every environment uses (base/), the newest.
func fileMinor(p *model.Platform, minors map[string]int) func(string) (int, bool) {
	return func(file string) (int, bool) {
		env := fileEnv(p, minors, file)
		if env == nil {
			return 0, false
		}
		n, ok := minors[env.Name]
		return n, ok
	}
}

// fileEnv is the environment a file belongs to, or the newest for shared
// files.
func fileEnv(p *model.Platform, minors map[string]int, file string) *model.Environment {
	if rest, ok := strings.CutPrefix(file, "environments/"); ok {
		name, _, _ := strings.Cut(rest, "/")
		if env := p.Environments[name]; env != nil {
			if _, ok := minors[name]; ok {
				return env
			}
		}
		return nil
	}
	var newest *model.Environment
	for _, env := range p.EnvironmentList {
		if n, ok := minors[env.Name]; ok && (newest == nil || n > minors[newest.Name]) {
			newest = env
		}
	}
	return newest
}

// EKSFile is the file of an environment's tree that declares its cluster
// (internal/emit/terraform writes it).
func EKSFile(env string) string { return path.Join("environments", env, "terraform", "eks.tf.json") }

// Committed reads the Kubernetes version each environment's cluster has in
// the tree on disk under dir: one small JSON file per environment. A file
// that is missing or unreadable is left out (nothing to compare with).
func Committed(dir string, envs []string) map[string]string {
	out := map[string]string{}
	for _, env := range envs {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(EKSFile(env))))
		if err != nil {
			continue
		}
		var f struct {
			Resource struct {
				Cluster map[string]struct {
					Version string `json:"version"`
				} `json:"aws_eks_cluster"`
			} `json:"resource"`
		}
		if json.Unmarshal(data, &f) != nil {
			continue
		}
		for _, c := range f.Resource.Cluster {
			if _, ok := eksversions.ParseMinor(c.Version); ok {
				out[env] = c.Version
			}
		}
	}
	return out
}

// describeMinor is "1.35" with its support phase on day, for the plan.
func describeMinor(v, day string) string {
	ver, ok := eksversions.Lookup(v)
	if !ok {
		return v + " (not in the EKS version table)"
	}
	switch ver.PhaseOn(day) {
	case eksversions.Ended:
		return fmt.Sprintf("%s (past extended support since %s)", v, ver.ExtendedEnd)
	case eksversions.Extended:
		return fmt.Sprintf("%s (extended support until %s)", v, ver.ExtendedEnd)
	}
	return fmt.Sprintf("%s (standard support until %s)", v, ver.StandardEnd)
}

// isSchema reports whether pos is in idpgen's schema (a default value)
// rather than in the platform.
func isSchema(pos token.Pos) bool {
	f := filepath.ToSlash(pos.Filename())
	return pos.IsValid() && (strings.HasPrefix(f, "schemas/") || strings.Contains(f, "/schemas/") || strings.Contains(f, "github.com/idpgen/idpgen/schemas"))
}
