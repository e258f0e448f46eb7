// Package cli is idpgen's command line. It is the only package that knows
// about flags, standard streams and exit codes; every command fills an
// options struct and calls into render and writer.
package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/idpgen/idpgen/internal/diag"
	"github.com/idpgen/idpgen/internal/eksversions"
	"github.com/idpgen/idpgen/internal/model"
	"github.com/idpgen/idpgen/internal/render"
	"github.com/idpgen/idpgen/internal/tree"
	"github.com/idpgen/idpgen/internal/upgrade"
	"github.com/idpgen/idpgen/internal/writer"
)

// Exit codes.
const (
	ExitOK      = 0 // success; for render --check and diff --exit-code: in sync
	ExitDrift   = 1 // render --check / diff --exit-code: generated/ differs from the platform
	ExitInvalid = 2 // the platform is invalid: nothing was written
	ExitUsage   = 3 // bad flags or arguments
	ExitFailure = 4 // anything else: I/O errors, refusing to overwrite a file idpgen did not generate
)

const exitCodesHelp = `Exit codes:
  0  success (for render --check and diff --exit-code: generated/ is in sync)
  1  render --check or diff --exit-code: generated/ is out of sync
  2  the platform is invalid (every error is printed; nothing is written)
  3  bad flags or arguments
  4  other failure (I/O, or a file in generated/ that idpgen did not generate is in the way)`

// exitError carries an exit code through cobra.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

// Main runs idpgen with os.Args and returns the process exit code.
func Main() int {
	preferHugePages()
	tuneGC()
	return Run(os.Args[1:], os.Stdout, os.Stderr)
}

// memoryLimit is the soft memory limit a command starts with.
const memoryLimit = 768 << 20

// tuneGC trades memory for speed: a render allocates hundreds of megabytes
// of short-lived encoding buffers, and at the default GOGC a third of its CPU
// went to the collector. A soft memory limit keeps the heap well under the
// 1 GiB budget. GOGC and GOMEMLIMIT in the environment still win.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
		afterEachGC(keepLimitAboveLiveHeap)
	}
}

// keepLimitAboveLiveHeap raises the soft memory limit to twice the live
// heap when the live heap passes half of it. A platform many times the
// benchmark's size (10,000 services) holds more live data than the limit,
// and the collector would then run back to back: four times the CPU.
func keepLimitAboveLiveHeap() {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return
	}
	live := int64(s[0].Value.Uint64())
	if limit := debug.SetMemoryLimit(-1); live > limit/2 {
		debug.SetMemoryLimit(2 * live)
	}
}

// afterEachGC runs f after every garbage collection: a finalizer on an
// unreachable object runs once the collector has found it, and re-arms.
func afterEachGC(f func()) {
	type sentinel struct{ _ [16]byte } // not a tiny allocation: its finalizer runs
	runtime.SetFinalizer(&sentinel{}, func(*sentinel) {
		f()
		afterEachGC(f)
	})
}

// Run runs idpgen with args, writing to stdout and stderr.
func Run(args []string, stdout, stderr io.Writer) int {
	cmd := newRoot(stdout, stderr)
	cmd.SetArgs(args)
	err := cmd.Execute()
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(stderr, "idpgen: "+ee.err.Error())
		}
		return ee.code
	}
	// cobra's own errors: unknown flags and commands.
	fmt.Fprintln(stderr, "idpgen: "+err.Error())
	return ExitUsage
}

type globalOptions struct {
	platform string
	out      string
	format   string
	// bytesOnly leaves out the verification of the rendered output: the
	// cross-checks with the consumers' libraries, the leak scan and the
	// Gatekeeper constraints (render --check; see newRender). Everything
	// that decides what render writes (evaluation, validation, the
	// upgrade rules) still runs.
	bytesOnly bool
}

// invalid prints the platform's problems in the chosen format and returns
// the exit status for an invalid platform. --format was checked before any
// command ran.
func (g *globalOptions) invalid(stderr io.Writer, err error) error {
	format, _ := g.diagFormat()
	diag.Print(stderr, err, format)
	return &exitError{ExitInvalid, nil}
}

func (g *globalOptions) diagFormat() (diag.Format, error) {
	switch g.format {
	case "":
		if os.Getenv("GITHUB_ACTIONS") == "true" {
			return diag.GitHub, nil
		}
		return diag.Text, nil
	case string(diag.Text), string(diag.GitHub):
		return diag.Format(g.format), nil
	}
	return "", &exitError{ExitUsage, fmt.Errorf("--format must be text or github, got %q", g.format)}
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	g := &globalOptions{}
	root := &cobra.Command{
		Use:   "idpgen",
		Short: "Compile a platform described in CUE into a committed, rendered tree",
		Long: `idpgen evaluates one CUE platform (teams, environments, services, add-ons,
policy), validates it, and renders everything Argo CD deploys into generated/.

` + exitCodesHelp,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	pf := root.PersistentFlags()
	pf.StringVar(&g.platform, "platform", "platforms/example", "directory of the platform's CUE package")
	pf.StringVar(&g.out, "out", "generated", "directory idpgen owns and renders into")
	pf.StringVar(&g.format, "format", "", "error format: text, or github for workflow annotations (default: github inside GitHub Actions, else text)")
	root.PersistentPreRunE = func(*cobra.Command, []string) error {
		_, err := g.diagFormat()
		return err
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &exitError{ExitUsage, err}
	})
	root.AddCommand(newRender(g, stdout, stderr), newDiff(g, stdout, stderr), newVet(g, stdout, stderr), newCharts(g, stdout, stderr), newInit(stdout, stderr), newVersion(stdout), newGraph(g, stdout, stderr), newCost(g, stdout, stderr), newUpgrade(g, stdout, stderr))
	return root
}

// plans are the writes a render makes: generated/ (the output directory),
// then the other roots of the tree (tree.GitHubWorkflows), each its own
// transaction with its own manifest.
type plans struct {
	main  *writer.Plan
	roots []rootPlan
}

// rootPlan is the plan of one other root.
type rootPlan struct {
	dir  string // as shown to the user: the --out flag's spelling with repo.path replaced
	plan *writer.Plan
}

func (ps *plans) inSync() bool {
	for _, r := range ps.roots {
		if !r.plan.InSync() {
			return false
		}
	}
	return ps.main.InSync()
}

// renderTree loads, validates, renders and verifies the platform (see
// checked), and plans the write against the output directory and the
// tree's other roots.
func renderTree(g *globalOptions, stderr io.Writer) (*plans, error) {
	out, err := checkOut(g.out, g.platform)
	if err != nil {
		return nil, err
	}
	// The disk is read while the CUE is evaluated (it only reads; what is
	// read is thrown away if the platform turns out invalid).
	planFor := writer.ReadAhead(g.out)
	ps := &plans{}
	_, _, err = checked(g, stderr, io.Discard, func(p *model.Platform, t *tree.Tree) error {
		if err := out.checkRepoPath(p.Repo.Path, stderr); err != nil {
			return err
		}
		var err error
		if ps.main, err = planFor(t); err != nil {
			return &exitError{ExitFailure, err}
		}
		for _, name := range otherRoots(t) {
			dir, ok := rootDir(g.out, p.Repo.Path, name)
			if !ok {
				if t.Root(name).Len() > 0 {
					fmt.Fprintf(stderr, "note: --out %q does not end with repo.path %q: a scratch render, without %s/ (it belongs at the repository root, beside %s/)\n", g.out, p.Repo.Path, name, p.Repo.Path)
				}
				continue
			}
			if t.Root(name).Len() == 0 {
				if _, err := os.Lstat(filepath.Join(dir, writer.ManifestName)); err != nil {
					continue // never rendered there: nothing to prune
				}
			}
			plan, err := writer.ReadAheadShared(dir)(t.Root(name))
			if err != nil {
				return &exitError{ExitFailure, err}
			}
			ps.roots = append(ps.roots, rootPlan{dir: dir, plan: plan})
		}
		return nil
	})
	return ps, err
}

// otherRoots are the roots besides the output directory a render owns:
// those of the tree, and those a previous render may have written (to prune
// them when the platform no longer renders any file there).
func otherRoots(t *tree.Tree) []string {
	roots := t.Roots()
	if !slices.Contains(roots, tree.GitHubWorkflows) {
		roots = append(roots, tree.GitHubWorkflows)
	}
	return roots
}

// rootDir places another root of the tree (a path relative to the
// repository root) relative to the output directory: the repository root
// is the output directory with repo.path taken off its end, so --out
// generated puts .github/workflows at ./.github/workflows and a scratch
// render --out /tmp/x/generated at /tmp/x/.github/workflows, never in the
// real repository. An output directory whose path does not end with
// repo.path has no repository root: ok is false.
func rootDir(out, repoPath, name string) (dir string, ok bool) {
	o, rp := filepath.Clean(out), filepath.Clean(filepath.FromSlash(repoPath))
	switch {
	case o == rp:
		return filepath.FromSlash(name), true
	case strings.HasSuffix(o, string(filepath.Separator)+rp):
		return filepath.Join(strings.TrimSuffix(o, rp), filepath.FromSlash(name)), true
	}
	return "", false
}

// checked loads, validates, renders and verifies the platform: one set of
// checks for every command, so that render never writes a tree vet rejects
// (vet is render without writing; render --check, g.bytesOnly, leaves out
// the verification of the output). Invalid input is printed and becomes
// ExitInvalid. The verifiers' notes (what could not be checked) go to
// notes: vet prints them; render and diff run in CI on every push and stay
// quiet unless something is wrong. alongside, when set, runs
// while the verifiers do (the writer reading the disk, the other half of a
// render's time); its error counts only for a valid platform.
func checked(g *globalOptions, stderr, notesOut io.Writer, alongside func(*model.Platform, *tree.Tree) error) (*model.Platform, *tree.Tree, error) {
	if err := checkPlatformDir(g.platform); err != nil {
		return nil, nil, err
	}
	p, t, err := render.Platform(g.platform)
	if err != nil {
		return nil, nil, g.invalid(stderr, err)
	}
	var notes []string
	var verr, pwarn, perr error
	done := make(chan struct{})
	pdone := make(chan struct{})
	if g.bytesOnly {
		close(done)
		close(pdone)
	} else {
		go func() {
			defer close(done)
			notes, verr = render.Verify(p, t, render.Emitters())
		}()
		go func() {
			defer close(pdone)
			pwarn, perr = render.Policies(p, t)
		}()
	}
	// The upgrade rules compare with the tree on disk: one small file
	// per environment, read while the verifiers run.
	committed := upgrade.Committed(g.out, envNames(p))
	var aerr error
	if alongside != nil {
		aerr = alongside(p, t)
	}
	<-done
	<-pdone
	// After the verifiers: the rules read CUE values for positions.
	uwarn, uerr := upgrade.Check(upgrade.Input{Platform: p, Tree: t, Committed: committed, OutDir: filepath.ToSlash(g.out), Today: eksversions.Today()})
	for _, n := range notes {
		fmt.Fprintln(notesOut, "note: "+n)
	}
	if pwarn != nil || uwarn != nil {
		format, _ := g.diagFormat()
		diag.PrintWarnings(stderr, errors.Join(uwarn, pwarn), format)
	}
	if verr != nil || perr != nil || uerr != nil {
		return nil, nil, g.invalid(stderr, errors.Join(verr, perr, uerr))
	}
	return p, t, aerr
}

// checkPlatformDir refuses (as bad usage) a --platform that is not a
// directory holding .cue files, which CUE itself reports only as
// `cannot find package "."`, naming neither the flag nor the directory.
// Mistyping the directory, or running idpgen in a platform written by init
// without --platform, is the usual cause.
func checkPlatformDir(dir string) error {
	usage := func(format string, args ...any) error {
		return &exitError{ExitUsage, fmt.Errorf("--platform %q: "+format+"; --platform is the directory of the platform's CUE package (default platforms/example; `idpgen init DIR` writes DIR/platform)", append([]any{dir}, args...)...)}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		if pe, ok := err.(*os.PathError); ok {
			err = pe.Err
		}
		return usage("%v", err)
	}
	for _, e := range entries {
		name := e.Name()
		if strings.HasSuffix(name, ".cue") && !strings.HasPrefix(name, "_") && !strings.HasPrefix(name, ".") && !e.IsDir() {
			return nil
		}
	}
	return usage("no .cue files in the directory")
}

func newVet(g *globalOptions, stdout, stderr io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "vet",
		Short: "Validate the platform without writing anything",
		Long: `vet evaluates the platform, renders the tree in memory, and runs every check
render runs: the cross-checks of the output with the consuming tools' own
libraries included. It reports all problems at once, lists as a note anything
it could not check, and never writes.

` + exitCodesHelp,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, t, err := checked(g, stderr, stderr, nil)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "platform %s is valid: %d environments, %d services, %d files\n", p.Name, len(p.Environments), len(p.Services), t.Len())
			return nil
		},
	}
}

func newVersion(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print idpgen's version",
		Args:  noArgs,
		Run: func(*cobra.Command, []string) {
			fmt.Fprintln(stdout, "idpgen "+version())
		},
	}
}

func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	v := info.Main.Version
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " " + s.Value[:12]
		}
	}
	return v + " " + info.GoVersion
}

func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return &exitError{ExitUsage, fmt.Errorf("%s takes no arguments, got %q", cmd.CommandPath(), args)}
	}
	return nil
}

// envNames lists the platform's environments in promotion order.
func envNames(p *model.Platform) []string {
	out := make([]string, 0, len(p.EnvironmentList))
	for _, e := range p.EnvironmentList {
		out = append(out, e.Name)
	}
	return out
}
