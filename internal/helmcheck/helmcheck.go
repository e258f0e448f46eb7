// Package helmcheck checks rendered Helm values with Helm's own library
// (helm.sh/helm/v3): the values are validated against the chart's
// values.schema.json and the chart is rendered with the Helm template
// engine, for the Kubernetes version of the environment. Charts are only
// read from disk (a charts directory or the Helm cache); fetching them is
// `idpgen charts pull`'s job.
package helmcheck

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/helmpath"
	"sigs.k8s.io/yaml"
)

// DefaultDir is the repository's charts directory, where `idpgen charts
// pull` stores the catalog's charts.
const DefaultDir = "charts"

// Finder looks for charts in directories.
type Finder struct {
	// Dirs are searched in order; empty means DefaultDirs().
	Dirs []string
}

// DefaultDirs are ./charts and the Helm repository cache (where `helm
// pull` and `helm dependency build` leave archives).
func DefaultDirs() []string {
	return []string{DefaultDir, helmpath.CachePath("repository")}
}

func (f Finder) dirs() []string {
	if len(f.Dirs) == 0 {
		return DefaultDirs()
	}
	return f.Dirs
}

// Find returns the path of chart at version: an archive
// <dir>/<chart>-<version>.tgz, or an unpacked <dir>/<chart>-<version>/ or
// <dir>/<chart>/ whose Chart.yaml has that version.
func (f Finder) Find(name, version string) (string, bool) {
	for _, dir := range f.dirs() {
		for _, p := range []string{
			filepath.Join(dir, name+"-"+version+".tgz"),
			filepath.Join(dir, name+"-"+version),
			filepath.Join(dir, name),
		} {
			st, err := os.Stat(p)
			if err != nil {
				continue
			}
			if st.IsDir() {
				c, err := loader.LoadDir(p)
				if err != nil || c.Metadata == nil || c.Metadata.Name != name || c.Metadata.Version != version {
					continue
				}
			}
			return p, true
		}
	}
	return "", false
}

// Input is one values file to check against one chart.
type Input struct {
	ChartPath   string
	Values      []byte // YAML
	Release     string
	Namespace   string
	KubeVersion string // a minor such as "1.35"
}

// Check loads the chart, validates the values against its schema, checks
// the chart's kubeVersion constraint and renders every template. It returns
// the rendered manifests by template name.
func Check(in Input) (map[string]string, error) {
	c, err := loader.Load(in.ChartPath)
	if err != nil {
		return nil, fmt.Errorf("loading chart %s: %w", in.ChartPath, err)
	}
	vals, err := chartutil.ReadValues(in.Values)
	if err != nil {
		return nil, fmt.Errorf("reading values: %w", err)
	}
	// Helm validates the chart's defaults merged with the user's values,
	// not the user's values alone: a schema may require a key that only
	// values.yaml sets.
	merged, err := chartutil.CoalesceValues(c, vals)
	if err != nil {
		return nil, fmt.Errorf("merging values with the chart's defaults: %w", err)
	}
	if err := chartutil.ValidateAgainstSchema(c, merged); err != nil {
		return nil, fmt.Errorf("values do not match the chart's values.schema.json: %w", err)
	}
	kv, err := chartutil.ParseKubeVersion("v" + in.KubeVersion + ".0")
	if err != nil {
		return nil, err
	}
	if c.Metadata.KubeVersion != "" && !chartutil.IsCompatibleRange(c.Metadata.KubeVersion, kv.String()) {
		return nil, fmt.Errorf("chart %s %s requires Kubernetes %s, the environment runs %s", c.Name(), c.Metadata.Version, c.Metadata.KubeVersion, in.KubeVersion)
	}
	caps := chartutil.DefaultCapabilities.Copy()
	caps.KubeVersion = *kv
	return render(c, vals, in, caps)
}

func render(c *chart.Chart, vals chartutil.Values, in Input, caps *chartutil.Capabilities) (map[string]string, error) {
	if err := chartutil.ProcessDependenciesWithMerge(c, vals); err != nil {
		return nil, fmt.Errorf("processing dependencies: %w", err)
	}
	top, err := chartutil.ToRenderValues(c, vals, chartutil.ReleaseOptions{
		Name: in.Release, Namespace: in.Namespace, Revision: 1, IsInstall: true,
	}, caps)
	if err != nil {
		return nil, err
	}
	out, err := engine.Render(c, top)
	if err != nil {
		return nil, fmt.Errorf("rendering templates: %w", err)
	}
	return out, nil
}

// SearchPath is the directories Find looks in.
func (f Finder) SearchPath() []string { return f.dirs() }

// Unread returns the leaf keys of in.Values that no template of the chart
// reads: the chart is rendered with the values as given, then once per leaf
// with that leaf alone changed to a sentinel (a string becomes another
// string, a number grows by one, a boolean flips, a list of scalars becomes
// a different list), and a leaf whose change leaves every rendered manifest
// as it was is unread. Changing rather than removing the leaf also catches
// a key that is read but equal to the chart's default. A change that makes
// a template fail counts as read. Templates whose output differs between
// two renders of the same values (random certificates, say) are left out
// of the comparison, and so are templates that change when an unknown
// top-level key is added (they echo all the values, and so read none of
// them for an effect). Maps and lists of maps are walked down to their
// leaves; paths are printed as a.b["c.d"][0].e. Unread does not validate
// the values against the chart's schema (Check does).
func Unread(in Input) ([]string, error) {
	var orig map[string]any
	if err := yaml.Unmarshal(in.Values, &orig); err != nil {
		return nil, fmt.Errorf("reading values: %w", err)
	}
	if len(orig) == 0 {
		return nil, nil
	}
	load := func() (*chart.Chart, error) {
		c, err := loader.Load(in.ChartPath)
		if err != nil {
			return nil, fmt.Errorf("loading chart %s: %w", in.ChartPath, err)
		}
		return c, nil
	}
	c, err := load()
	if err != nil {
		return nil, err
	}
	kv, err := chartutil.ParseKubeVersion("v" + in.KubeVersion + ".0")
	if err != nil {
		return nil, err
	}
	caps := chartutil.DefaultCapabilities.Copy()
	caps.KubeVersion = *kv
	// Values are encoded and parsed afresh for every render: Helm's
	// coalescing writes into the maps it is given.
	renderWith := func(vals map[string]any) (map[string]string, error) {
		data, err := yaml.Marshal(vals)
		if err != nil {
			return nil, err
		}
		cv, err := chartutil.ReadValues(data)
		if err != nil {
			return nil, fmt.Errorf("reading values: %w", err)
		}
		rc := c
		if len(c.Metadata.Dependencies) > 0 {
			// Dependency processing prunes the chart it is given.
			if rc, err = load(); err != nil {
				return nil, err
			}
		}
		return render(rc, cv, in, caps)
	}
	base, err := renderWith(orig)
	if err != nil {
		return nil, err
	}
	// Templates left out of the comparison: those whose output differs
	// between two renders of the same values, and those that echo all the
	// values (istiod's "values" ConfigMap, "for debugging purposes ...
	// modifying these values has no effect"), which would make every key
	// look read; a canary key no chart knows finds the latter.
	skip := map[string]bool{}
	again, err := renderWith(orig)
	if err != nil {
		return nil, err
	}
	withCanary := deepCopy(orig).(map[string]any)
	withCanary[canaryKey] = sentinelString
	echoed, err := renderWith(withCanary)
	if err != nil {
		return nil, fmt.Errorf("rendering with the canary key %s: %w", canaryKey, err)
	}
	for name, out := range base {
		if again[name] != out || echoed[name] != out {
			skip[name] = true
		}
	}
	same := func(out map[string]string) bool {
		for name, b := range base {
			if !skip[name] && out[name] != b {
				return false
			}
		}
		for name := range out {
			if _, ok := base[name]; !ok {
				return false
			}
		}
		return true
	}

	var unread []string
	for _, l := range leaves(nil, orig) {
		vals := deepCopy(orig).(map[string]any)
		set(vals, l.path, sentinel(l.value))
		out, err := renderWith(vals)
		if err != nil {
			continue // a template failed on the changed value: it reads it
		}
		if same(out) {
			unread = append(unread, formatPath(l.path))
		}
	}
	return unread, nil
}

// sentinelString is what Unread changes a string (and lists of scalars) to.
const sentinelString = "idpgen-unread-check"

// canaryKey is a top-level values key no chart reads.
const canaryKey = "idpgenUnreadCanary"

type leaf struct {
	path  []any // string keys and int indexes
	value any
}

// leaves lists the leaves below v in key order: scalars, lists of scalars
// and empty maps.
func leaves(path []any, v any) []leaf {
	at := func(k any) []any { return append(slices.Clip(path), k) }
	switch v := v.(type) {
	case map[string]any:
		if len(v) == 0 {
			return []leaf{{path, v}}
		}
		var out []leaf
		for _, k := range slices.Sorted(maps.Keys(v)) {
			out = append(out, leaves(at(k), v[k])...)
		}
		return out
	case []any:
		var out []leaf
		for i, e := range v {
			if _, ok := e.(map[string]any); !ok {
				return []leaf{{path, v}}
			}
			out = append(out, leaves(at(i), e)...)
		}
		if len(v) == 0 {
			return []leaf{{path, v}}
		}
		return out
	}
	return []leaf{{path, v}}
}

func sentinel(v any) any {
	switch v := v.(type) {
	case bool:
		return !v
	case float64:
		return v + 1
	case string:
		if v == sentinelString {
			return sentinelString + "-2"
		}
		return sentinelString
	case []any:
		if len(v) == 1 && v[0] == sentinelString {
			return []any{}
		}
		return []any{sentinelString}
	case map[string]any:
		return map[string]any{sentinelString: sentinelString}
	}
	return sentinelString // null
}

func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		l := make([]any, len(v))
		for i, e := range v {
			l[i] = deepCopy(e)
		}
		return l
	}
	return v
}

// set replaces the value at path (which leaves found, so it exists).
func set(root any, path []any, v any) {
	cur := root
	for i, k := range path {
		last := i == len(path)-1
		switch k := k.(type) {
		case string:
			m := cur.(map[string]any)
			if last {
				m[k] = v
				return
			}
			cur = m[k]
		case int:
			l := cur.([]any)
			if last {
				l[k] = v
				return
			}
			cur = l[k]
		}
	}
}

var plainKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

func formatPath(path []any) string {
	var b strings.Builder
	for _, k := range path {
		switch k := k.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", k)
		case string:
			if !plainKey.MatchString(k) {
				fmt.Fprintf(&b, "[%q]", k)
				continue
			}
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(k)
		}
	}
	return b.String()
}
