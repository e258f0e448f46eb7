package cli

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

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
			// --check answers one question: is the tree on disk what
			// render writes? It evaluates, validates, applies the
			// upgrade rules and renders, as render does, so a platform
			// render refuses fails it (exit 2). It does not verify the
			// rendered output again (the cross-checks, the leak scan,
			// the policies): the tree on disk can only equal that
			// output if a render wrote it, and render writes nothing
			// that fails them. They are two thirds of a render's time
			// at 1000 services; vet runs them, and CI runs vet (see the
			// README's "One set of checks").
			g.bytesOnly = check
			ps, err := renderTree(g, stderr)
			if err != nil {
				return err
			}
			if check {
				return runCheck(ps, g, stderr)
			}
			// generated/ first: the workflows deploy it.
			if err := apply(stdout, ps.main, g.out); err != nil {
				return err
			}
			for _, r := range ps.roots {
				if err := apply(stdout, r.plan, r.dir); err != nil {
					return err
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&check, "check", false, "change nothing; exit 1 if the output directory is not exactly what render would write")
	return cmd
}

// apply writes one root and reports it.
func apply(stdout io.Writer, plan *writer.Plan, dir string) error {
	if err := plan.Apply(); err != nil {
		var conflict *writer.ConflictError
		var busy *writer.BusyError
		var journal *writer.JournalError
		if errors.As(err, &conflict) || errors.As(err, &busy) || errors.As(err, &journal) {
			return &exitError{ExitFailure, err} // they name the directory
		}
		return &exitError{ExitFailure, fmt.Errorf("writing %s: %w", dir, err)}
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
	fmt.Fprintf(stdout, "rendered %s: %d written, %d deleted\n", dir, written, deleted)
	return nil
}

func runCheck(ps *plans, g *globalOptions, stderr io.Writer) error {
	if ps.inSync() {
		return nil
	}
	n := listDrift(stderr, ps.main, g.out)
	var dirs []string
	if !ps.main.InSync() {
		dirs = append(dirs, g.out)
	}
	for _, r := range ps.roots {
		if !r.plan.InSync() {
			n += listDrift(stderr, r.plan, r.dir)
			dirs = append(dirs, filepath.ToSlash(r.dir))
		}
	}
	return &exitError{ExitDrift, fmt.Errorf("%s out of sync with %s (%d files); run idpgen render and commit the result", strings.Join(dirs, " and ")+map[bool]string{true: " is", false: " are"}[len(dirs) == 1], g.platform, n)}
}

// listDrift prints every file of one root that differs, and counts them.
func listDrift(stderr io.Writer, plan *writer.Plan, dir string) int {
	if plan.Pending() {
		fmt.Fprintf(stderr, "%s: an interrupted render left %s; run idpgen render to finish it\n", dir, writer.JournalName)
	}
	for _, c := range plan.Changes {
		why := ""
		if c.Why != "" {
			why = " (" + c.Why + ")"
		}
		fmt.Fprintf(stderr, "%s: %s/%s%s\n", c.State, filepath.ToSlash(dir), c.Path, why)
	}
	return len(plan.Changes)
}
