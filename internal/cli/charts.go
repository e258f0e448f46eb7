package cli

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"helm.sh/helm/v3/pkg/action"
	helmcli "helm.sh/helm/v3/pkg/cli"
	"helm.sh/helm/v3/pkg/registry"

	"github.com/idpgen/idpgen/internal/helmcheck"
	"github.com/idpgen/idpgen/internal/model"
	"github.com/idpgen/idpgen/internal/render"
)

func newCharts(g *globalOptions, stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "charts",
		Short: "Work with the add-ons' chart catalog",
		Args:  noArgs,
	}
	cmd.AddCommand(newChartsPull(g, stdout, stderr))
	return cmd
}

type chartsPullOptions struct {
	dest   string
	dryRun bool
}

func newChartsPull(g *globalOptions, stdout, stderr io.Writer) *cobra.Command {
	o := &chartsPullOptions{}
	cmd := &cobra.Command{
		Use:   "pull",
		Short: "Download the catalog's charts so that vet can check the add-ons' values",
		Long: `pull downloads, into --dest, every chart release the platform's enabled
add-ons use (catalog.<addon>: repository, chart, version), as <chart>-<version>.tgz
archives. idpgen vet then validates each values file against its chart's
values.schema.json and renders the chart with the Helm engine. This is the
only idpgen command that uses the network.

` + exitCodesHelp,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkPlatformDir(g.platform); err != nil {
				return err
			}
			p, err := render.Load(g.platform)
			if err != nil {
				return g.invalid(stderr, err)
			}
			return pullCharts(p, o, stdout)
		},
	}
	cmd.Flags().StringVar(&o.dest, "dest", helmcheck.DefaultDir, "directory to store the chart archives in")
	cmd.Flags().BoolVar(&o.dryRun, "dry-run", false, "list what would be pulled, pull nothing")
	return cmd
}

// chartRef is one chart release to pull.
type chartRef struct {
	repo, chart, version string
	oci                  bool
}

func (c chartRef) String() string { return c.chart + " " + c.version + " from " + c.repo }

// catalogCharts lists the releases the enabled add-ons use, once each.
func catalogCharts(p *model.Platform) []chartRef {
	var out []chartRef
	for _, a := range p.Addons.List() {
		src, ok := p.Catalog[a.Key]
		if !ok || !slices.ContainsFunc(p.EnvironmentList, func(e *model.Environment) bool { return a.In(e.Name) }) {
			continue
		}
		for _, c := range src.Charts {
			ref := chartRef{repo: src.Repository, chart: c.Chart, version: a.ChartVersion(src), oci: src.OCI()}
			if !slices.Contains(out, ref) {
				out = append(out, ref)
			}
		}
	}
	return out
}

func pullCharts(p *model.Platform, o *chartsPullOptions, stdout io.Writer) error {
	refs := catalogCharts(p)
	if o.dryRun {
		for _, r := range refs {
			fmt.Fprintln(stdout, "would pull "+r.String())
		}
		return nil
	}
	if err := os.MkdirAll(o.dest, 0o755); err != nil {
		return &exitError{ExitFailure, err}
	}
	rc, err := registry.NewClient()
	if err != nil {
		return &exitError{ExitFailure, fmt.Errorf("helm registry client: %w", err)}
	}
	settings := helmcli.New()
	var failed []string
	for _, r := range refs {
		pull := action.NewPullWithOpts(action.WithConfig(&action.Configuration{RegistryClient: rc}))
		pull.Settings = settings
		pull.DestDir = o.dest
		pull.Version = r.version
		ref := r.chart
		if r.oci {
			ref = strings.TrimSuffix(r.repo, "/") + "/" + r.chart
		} else {
			pull.RepoURL = r.repo
		}
		if _, err := pull.Run(ref); err != nil {
			failed = append(failed, fmt.Sprintf("%s: %v", r, err))
			continue
		}
		fmt.Fprintln(stdout, "pulled "+r.String())
	}
	if len(failed) > 0 {
		return &exitError{ExitFailure, fmt.Errorf("%d chart(s) not pulled:\n  %s", len(failed), strings.Join(failed, "\n  "))}
	}
	return nil
}
