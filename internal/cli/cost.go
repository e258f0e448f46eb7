package cli

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/idpgen/idpgen/internal/cost"
	"github.com/idpgen/idpgen/internal/model"
	"github.com/idpgen/idpgen/internal/render"
)

type costOptions struct {
	env, format, base string
}

func newCost(g *globalOptions, stdout, stderr io.Writer) *cobra.Command {
	o := &costOptions{}
	cmd := &cobra.Command{
		Use:   "cost",
		Short: "Estimate each environment's monthly AWS cost from the model",
		Long: `cost estimates the monthly cost of each environment from the model alone (it
renders nothing): the system node group, and the workload nodes Karpenter
would launch for the services' requests × replicas (minimum replicas as
expected, HPA maxima as the upper bound), bin-packed onto the instance types
sizing.karpenter allows, with the spot savings where a pool may use spot.
The EKS control plane, NAT gateways, load balancers, KMS keys and interface
endpoints are counted from the model and priced from idpgen's dated price
data (each price's source is listed after the tables); their usage (GB
processed, NLCU-hours, KMS requests) is counted as 0, as each line notes.

With --base REV, the platform is also loaded as it is at the Git revision REV
(read from Git, the working tree is not touched), and the change per
environment and per service is printed, as markdown unless --format says
otherwise: a pull-request comment.

` + exitCodesHelp,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("format") && o.base != "" {
				o.format = cost.FormatMarkdown
			}
			return runCost(g, o, stdout, stderr)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.env, "env", "", "only this environment")
	f.StringVar(&o.format, "format", cost.FormatTable, "output format: table, markdown or json (with --base, markdown by default)")
	f.StringVar(&o.base, "base", "", "also estimate the platform at this Git revision and print the change")
	return cmd
}

func runCost(g *globalOptions, o *costOptions, stdout, stderr io.Writer) error {
	switch o.format {
	case cost.FormatTable, cost.FormatMarkdown, cost.FormatJSON:
	default:
		return &exitError{ExitUsage, fmt.Errorf("--format must be table, markdown or json, got %q", o.format)}
	}
	if err := checkPlatformDir(g.platform); err != nil {
		return err
	}
	p, err := render.Load(g.platform)
	if err != nil {
		return g.invalid(stderr, err)
	}
	if o.env != "" && p.Environments[o.env] == nil {
		return &exitError{ExitUsage, fmt.Errorf("--env: unknown environment %q; expected one of: %s", o.env, strings.Join(slices.Sorted(maps.Keys(p.Environments)), ", "))}
	}
	head := only(cost.Estimate(p), o.env)
	if o.base == "" {
		return head.Write(stdout, o.format)
	}
	bp, err := loadAtRevision(g.platform, o.base)
	if err == errNotAtRevision {
		// A pull request that adds the platform: everything is new.
		fmt.Fprintf(stderr, "idpgen: note: %s does not exist at %s; every cost is new\n", g.platform, o.base)
		return cost.Compare(o.base, &cost.Report{}, head).Write(stdout, o.format)
	}
	if err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			return err
		}
		fmt.Fprintf(stderr, "idpgen: the platform at %s is invalid:\n", o.base)
		return g.invalid(stderr, err)
	}
	return cost.Compare(o.base, only(cost.Estimate(bp), o.env), head).Write(stdout, o.format)
}

// only keeps the environment env of r (all when env is "").
func only(r *cost.Report, env string) *cost.Report {
	if env != "" {
		r.Environments = slices.DeleteFunc(r.Environments, func(e cost.Environment) bool { return e.Name != env })
	}
	return r
}

// loadAtRevision loads the platform in dir as it is at the Git revision
// rev: the CUE module around dir (the nearest directory above it with a
// cue.mod, within the repository) is extracted from `git archive` into a
// temporary directory and loaded there. Git only reads the repository.
func loadAtRevision(dir, rev string) (*model.Platform, error) {
	fail := func(format string, args ...any) error {
		return &exitError{ExitFailure, fmt.Errorf("--base "+format, args...)}
	}
	abs, err := filepath.Abs(dir)
	if err == nil {
		abs, err = filepath.EvalSymlinks(abs)
	}
	if err != nil {
		return nil, fail("%s: %v", rev, err)
	}
	// Git runs at the top of the repository: in a subdirectory, git
	// archive would archive only that subdirectory.
	cwd := abs
	git := func(args ...string) ([]byte, error) {
		cmd := exec.Command("git", append([]string{"-C", cwd}, args...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
		}
		return out, nil
	}
	top, err := git("rev-parse", "--show-toplevel")
	if err != nil {
		return nil, &exitError{ExitUsage, fmt.Errorf("--base %s: %s is not in a Git repository: %v", rev, dir, err)}
	}
	root := strings.TrimSpace(string(top))
	if root, err = filepath.EvalSymlinks(root); err != nil {
		return nil, fail("%s: %v", rev, err)
	}
	cwd = root
	if _, err := git("rev-parse", "--verify", "--quiet", rev+"^{commit}"); err != nil {
		return nil, &exitError{ExitUsage, fmt.Errorf("--base %s: not a commit of the repository at %s", rev, root)}
	}
	module := abs
	for module != root && !isDir(filepath.Join(module, "cue.mod")) {
		module = filepath.Dir(module)
	}
	modRel, _ := filepath.Rel(root, module)
	platRel, _ := filepath.Rel(root, abs)
	args := []string{"archive", "--format=tar", rev}
	if modRel != "." {
		args = append(args, "--", filepath.ToSlash(modRel))
	}
	archive, err := git(args...)
	if err != nil {
		return nil, fail("%s: %v", rev, err)
	}
	tmp, err := os.MkdirTemp("", "idpgen-base-")
	if err != nil {
		return nil, fail("%s: %v", rev, err)
	}
	defer os.RemoveAll(tmp)
	if err := untar(tmp, archive); err != nil {
		return nil, fail("%s: %v", rev, err)
	}
	platform := filepath.Join(tmp, platRel)
	if !isDir(platform) {
		return nil, errNotAtRevision
	}
	return render.Load(platform)
}

// errNotAtRevision: the platform's directory does not exist at the
// revision.
var errNotAtRevision = errors.New("the platform does not exist at that revision")

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// untar writes the regular files and directories of a tar archive below
// dir (git archive writes nothing else that loading CUE needs; symbolic
// links are left out).
func untar(dir string, data []byte) error {
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		name := filepath.FromSlash(h.Name)
		if !filepath.IsLocal(name) {
			return fmt.Errorf("archive entry %q leaves the directory", h.Name)
		}
		target := filepath.Join(dir, name)
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			b, err := io.ReadAll(tr)
			if err != nil {
				return err
			}
			if err := os.WriteFile(target, b, 0o644); err != nil {
				return err
			}
		}
	}
}
