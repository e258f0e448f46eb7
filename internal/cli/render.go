package cli

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/idpgen/idpgen/internal/writer"
)

func newRender(g *globalOptions, stdout, stderr io.Writer) *cobra.Command {
	var check bool
	cmd := &cobra.Command{
		Use:   "render",
		Short: "Render the platform into generated/ (or check that it is in sync)",
		Long: `render evaluates the platform and writes the rendered tree into the output
directory. Only changed files are rewritten; files a previous render wrote and
this one no longer produces are deleted; a file idpgen did not generate is
never touched. If the platform is invalid, nothing is written.

With --check (for CI), render changes nothing and exits 1 listing every
missing, stale, hand-edited or extra file.

` + exitCodesHelp,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// --check compares bytes: the tree on disk can only equal
			// the one render would write if a render wrote it, and render
			// writes nothing that fails the policies. The policies'
			// bytes (templates, constraints) are in the tree too, so a
			// change to them is drift. Evaluating them again would only
			// cost time (see the README's Policy section).
			g.skipPolicies = check
			plan, err := renderTree(g, stderr)
			if err != nil {
				return err
			}
			if check {
				return runCheck(plan, g, stderr)
			}
			if err := plan.Apply(); err != nil {
				var conflict *writer.ConflictError
				var busy *writer.BusyError
				var journal *writer.JournalError
				if errors.As(err, &conflict) || errors.As(err, &busy) || errors.As(err, &journal) {
					return &exitError{ExitFailure, err} // they name the directory
				}
				return &exitError{ExitFailure, fmt.Errorf("writing %s: %w", g.out, err)}
			}
			written, deleted := 0, 0
			for _, c := range plan.Changes {
				switch {
				case c.New != nil:
					written++
				case c.State == writer.Extra:
					deleted++
				}
			}
			fmt.Fprintf(stdout, "rendered %s: %d written, %d deleted\n", g.out, written, deleted)
			return nil
		},
	}
	cmd.Flags().BoolVar(&check, "check", false, "change nothing; exit 1 if the output directory is not exactly what render would write")
	return cmd
}

func runCheck(plan *writer.Plan, g *globalOptions, stderr io.Writer) error {
	if plan.InSync() {
		return nil
	}
	if plan.Pending() {
		fmt.Fprintf(stderr, "%s: an interrupted render left %s; run idpgen render to finish it\n", g.out, writer.JournalName)
	}
	for _, c := range plan.Changes {
		why := ""
		if c.Why != "" {
			why = " (" + c.Why + ")"
		}
		fmt.Fprintf(stderr, "%s: %s/%s%s\n", c.State, g.out, c.Path, why)
	}
	return &exitError{ExitDrift, fmt.Errorf("%s is out of sync with %s (%d files); run idpgen render and commit the result", g.out, g.platform, len(plan.Changes))}
}
