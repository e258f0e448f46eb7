// Package helmcheck checks rendered Helm values with Helm's own library
// (helm.sh/helm/v3): the values are validated against the chart's
// values.schema.json and the chart is rendered with the Helm template
// engine, for the Kubernetes version of the environment. Charts are only
// read from disk (a charts directory or the Helm cache); fetching them is
// `idpgen charts pull`'s job.
package helmcheck

import (
	"fmt"
	"os"
	"path/filepath"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/helmpath"
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
