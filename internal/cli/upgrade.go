package cli

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/idpgen/idpgen/internal/eksversions"
	"github.com/idpgen/idpgen/internal/render"
	"github.com/idpgen/idpgen/internal/upgrade"
)

func newUpgrade(g *globalOptions, stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "upgrade",
		Short: "Plan Kubernetes upgrades of the platform's clusters",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return &exitError{ExitUsage, fmt.Errorf("upgrade needs a subcommand: upgrade plan ENV")}
		},
	}
	cmd.AddCommand(newUpgradePlan(g, stdout, stderr))
	return cmd
}

type upgradePlanOptions struct {
	to, format string
}

func newUpgradePlan(g *globalOptions, stdout, stderr io.Writer) *cobra.Command {
	o := &upgradePlanOptions{}
	cmd := &cobra.Command{
		Use:   "plan ENV",
		Short: "Print the ordered steps of one environment's Kubernetes upgrade",
		Long: `upgrade plan lists what moving environment ENV to the next Kubernetes minor
(or --to) takes, in order: the preconditions and what blocks the upgrade
(promotion order, EKS support, API versions the target no longer serves,
charts whose catalog range excludes it, pinned add-ons), the control plane,
the EKS managed add-ons, the charts, and the node roll (the system node group,
and Karpenter replacing every node through drift with its budgets). It reads
the platform and the tree in --out; it changes nothing.

Exit codes: 0 the plan has no blocks, 1 something blocks the upgrade,
2 the platform is invalid, 3 bad flags or arguments.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return &exitError{ExitUsage, fmt.Errorf("%s takes one environment, got %d arguments", cmd.CommandPath(), len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runUpgradePlan(g, o, args[0], stdout, stderr)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.to, "to", "", "target Kubernetes minor, such as 1.36 (default: the next minor)")
	f.StringVar(&o.format, "format", "text", "output format: text or markdown")
	return cmd
}

func runUpgradePlan(g *globalOptions, o *upgradePlanOptions, env string, stdout, stderr io.Writer) error {
	if o.format != "text" && o.format != "markdown" {
		return &exitError{ExitUsage, fmt.Errorf("--format must be text or markdown, got %q", o.format)}
	}
	if err := checkPlatformDir(g.platform); err != nil {
		return err
	}
	p, t, err := render.Platform(g.platform)
	if err != nil {
		return g.invalid(stderr, err)
	}
	pl, err := upgrade.NewPlan(upgrade.PlanInput{
		Platform: p, Tree: t, Env: env, To: o.to,
		Committed: upgrade.Committed(g.out, envNames(p)), OutDir: filepath.ToSlash(g.out), Today: eksversions.Today(),
	})
	if err != nil {
		return &exitError{ExitUsage, err}
	}
	if o.format == "markdown" {
		err = pl.Markdown(stdout)
	} else {
		err = pl.Text(stdout)
	}
	if err != nil {
		return &exitError{ExitFailure, err}
	}
	if pl.Blocked() {
		return &exitError{ExitDrift, nil}
	}
	return nil
}
