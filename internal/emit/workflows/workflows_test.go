package workflows_test

import (
	"bytes"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
	"go.yaml.in/yaml/v3"

	"github.com/idpgen/idpgen/internal/awsnames"
	"github.com/idpgen/idpgen/internal/emit/terraform"
	"github.com/idpgen/idpgen/internal/emit/workflows"
	"github.com/idpgen/idpgen/internal/model"
	"github.com/idpgen/idpgen/internal/render"
	"github.com/idpgen/idpgen/internal/tree"
)

func example(t *testing.T) *model.Platform {
	t.Helper()
	p, err := render.Load(filepath.Join("..", "..", "..", "platforms", "example"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// variants are the example as written and changed the ways that change the
// workflows: a released idpgen instead of a build from the repository,
// another branch, runner and rendered-tree path, a fourth environment in a
// second region of prod's account.
func variants(t *testing.T) map[string]*model.Platform {
	out := map[string]*model.Platform{"example": example(t)}
	p := example(t)
	gh := *p.Delivery.GitHub
	gh.IDPGen, gh.Branch, gh.Runner, gh.GoVersion = "v1.4.0", "release", "ubuntu-24.04-arm", "1.26.x"
	p.Delivery.GitHub = &gh
	p.Repo.Revision, p.Repo.Path = "release", "deploy/tree"
	second := *p.Environments["prod"]
	second.Name, second.Region, second.Promotion = "prod-use1", "us-east-1", 3
	p.Environments[second.Name] = &second
	p.Index()
	out["released"] = p
	return out
}

func render1(t *testing.T, p *model.Platform) map[string][]byte {
	t.Helper()
	tr := tree.New()
	if err := workflows.New().Emit(p, tr); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, f := range tr.Root(tree.GitHubWorkflows).Files() {
		files[f.Path] = f.Data
	}
	if tr.Len() != 0 {
		t.Errorf("the workflows emitter wrote %d files below generated/", tr.Len())
	}
	if len(files) != 2 {
		t.Fatalf("rendered %d workflows, want 2", len(files))
	}
	return files
}

// TestActionlint runs actionlint (as a library; with shellcheck when it is
// installed) over every generated workflow: zero findings.
func TestActionlint(t *testing.T) {
	opts := &actionlint.LinterOptions{LogWriter: io.Discard, Color: actionlint.ColorOptionKindNever}
	if sc, err := exec.LookPath("shellcheck"); err == nil {
		opts.Shellcheck = sc
	} else {
		t.Log("shellcheck is not installed: actionlint checks the workflows without it")
	}
	for name, p := range variants(t) {
		for file, data := range render1(t, p) {
			var out bytes.Buffer
			l, err := actionlint.NewLinter(&out, opts)
			if err != nil {
				t.Fatal(err)
			}
			errs, err := l.Lint(".github/workflows/"+file, data, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range errs {
				t.Errorf("%s: %s:%d:%d: %s [%s]", name, file, e.Line, e.Column, e.Message, e.Kind)
			}
		}
	}
}

// actionlint must be able to fail: a workflow with an undefined job in
// needs and an unknown runner expression is refused.
func TestActionlintFails(t *testing.T) {
	l, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{LogWriter: io.Discard, Color: actionlint.ColorOptionKindNever})
	if err != nil {
		t.Fatal(err)
	}
	bad := []byte("on: push\njobs:\n  a:\n    needs: [nope]\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo ${{ github.nope.x }}\n")
	errs, err := l.Lint("bad.yml", bad, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(errs) == 0 {
		t.Fatal("actionlint accepted a broken workflow")
	}
}

var (
	pinned     = regexp.MustCompile(`^\s*(?:- )?uses: ([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)@([0-9a-f]{40}) # v[0-9]+\.[0-9]+\.[0-9]+$`)
	usesLine   = regexp.MustCompile(`^\s*(?:- )?uses:`)
	forbiddenR = regexp.MustCompile(`\b(kubectl|helm)\b`)
)

type workflow struct {
	On          map[string]any `yaml:"on"`
	Permissions map[string]any `yaml:"permissions"`
	Jobs        map[string]job `yaml:"jobs"`
}

type job struct {
	Needs       any               `yaml:"needs"`
	If          string            `yaml:"if"`
	Permissions map[string]string `yaml:"permissions"`
	Environment string            `yaml:"environment"`
	Concurrency *struct {
		Group            string `yaml:"group"`
		CancelInProgress *bool  `yaml:"cancel-in-progress"`
	} `yaml:"concurrency"`
	Steps []struct {
		Uses string            `yaml:"uses"`
		Run  string            `yaml:"run"`
		With map[string]string `yaml:"with"`
	} `yaml:"steps"`
}

func (j job) needs() []string {
	switch n := j.Needs.(type) {
	case string:
		return []string{n}
	case []any:
		var out []string
		for _, x := range n {
			out = append(out, x.(string))
		}
		return out
	}
	return nil
}

// TestProperties checks what must hold of every workflow of every variant:
// third-party actions pinned by SHA with their version, explicit
// permissions everywhere (none at the top), write access only where it is
// needed, no pull_request_target, no kubectl or helm, the roles the
// Terraform declares, and the apply chain in promotion order with a GitHub
// environment and a concurrency group per environment.
func TestProperties(t *testing.T) {
	for name, p := range variants(t) {
		t.Run(name, func(t *testing.T) { properties(t, p, render1(t, p)) })
	}
}

func properties(t *testing.T, p *model.Platform, files map[string][]byte) {
	pins := workflows.Pins()
	for file, data := range files {
		if !tree.Generated(data) {
			t.Errorf("%s lacks the generated-file marker", file)
		}
		for i, line := range strings.Split(string(data), "\n") {
			if usesLine.MatchString(line) {
				m := pinned.FindStringSubmatch(line)
				if m == nil {
					t.Errorf("%s:%d: not pinned by a full commit SHA with its version: %s", file, i+1, line)
				} else if !slices.Contains(pins, strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "- uses:"))[0:]) && !slices.ContainsFunc(pins, func(s string) bool { return strings.HasSuffix(line, s) }) {
					t.Errorf("%s:%d: %s is not in the pin table", file, i+1, m[1])
				}
			}
			if forbiddenR.MatchString(line) {
				t.Errorf("%s:%d: kubectl or helm in CI (Argo CD deploys Kubernetes): %s", file, i+1, line)
			}
		}
		var w workflow
		if err := yaml.Unmarshal(data, &w); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if _, ok := w.On["pull_request_target"]; ok {
			t.Errorf("%s: pull_request_target", file)
		}
		if w.Permissions == nil || len(w.Permissions) != 0 {
			t.Errorf("%s: top-level permissions %v, want {} (each job says what it needs)", file, w.Permissions)
		}
		for id, j := range w.Jobs {
			if j.Permissions == nil {
				t.Errorf("%s: job %s has no explicit permissions", file, id)
			}
			for scope, level := range j.Permissions {
				ok := level == "read" && scope == "contents" ||
					scope == "id-token" && level == "write" && (strings.HasPrefix(id, "plan-") || strings.HasPrefix(id, "apply-")) ||
					scope == "pull-requests" && level == "write" && id == "comment"
				if !ok {
					t.Errorf("%s: job %s has %s: %s", file, id, scope, level)
				}
			}
		}
	}

	pr := parse(t, files[workflows.PullRequestFile])
	ap := parse(t, files[workflows.ApplyFile])
	gh := p.Delivery.GitHub
	for i, env := range p.EnvironmentList {
		n := awsnames.For(p, env)
		planARN, applyARN := n.RoleARN(n.CIPlanRole()), n.RoleARN(n.CIApplyRole())
		dir := p.Repo.Path + "/" + terraform.Dir(env.Name)
		for _, wf := range []struct {
			name string
			w    workflow
		}{{"pull request", pr}, {"apply", ap}} {
			plan, ok := wf.w.Jobs["plan-"+env.Name]
			if !ok {
				t.Errorf("%s: no plan job for %s", wf.name, env.Name)
				continue
			}
			if role := assumed(plan); role != planARN+" "+env.Region+" "+env.Account {
				t.Errorf("%s: plan-%s assumes %q, want the plan role %s in %s", wf.name, env.Name, role, planARN, env.Region)
			}
			if !strings.Contains(string(files[map[string]string{"pull request": workflows.PullRequestFile, "apply": workflows.ApplyFile}[wf.name]]), "working-directory: "+dir+"\n") {
				t.Errorf("%s: no job works in %s", wf.name, dir)
			}
		}
		a, ok := ap.Jobs["apply-"+env.Name]
		if !ok {
			t.Errorf("no apply job for %s", env.Name)
			continue
		}
		if a.Environment != env.Name {
			t.Errorf("apply-%s: environment %q", env.Name, a.Environment)
		}
		if a.Concurrency == nil || a.Concurrency.Group != "terraform-"+env.Name || a.Concurrency.CancelInProgress == nil || *a.Concurrency.CancelInProgress {
			t.Errorf("apply-%s: concurrency %+v, want group terraform-%s without cancel-in-progress", env.Name, a.Concurrency, env.Name)
		}
		if role := assumed(a); role != applyARN+" "+env.Region+" "+env.Account {
			t.Errorf("apply-%s assumes %q, want the apply role %s", env.Name, role, applyARN)
		}
		want := []string{"plan-" + env.Name}
		if i > 0 {
			want = append(want, "apply-"+p.EnvironmentList[i-1].Name)
		}
		if got := a.needs(); !slices.Equal(got, want) {
			t.Errorf("apply-%s needs %v, want %v (promotion order)", env.Name, got, want)
		}
		if !strings.Contains(a.If, "!failure()") || !strings.Contains(a.If, "!cancelled()") {
			t.Errorf("apply-%s: if %q must skip after a failure or cancellation", env.Name, a.If)
		}
		if !slices.ContainsFunc(a.Steps, func(s struct {
			Uses string            `yaml:"uses"`
			Run  string            `yaml:"run"`
			With map[string]string `yaml:"with"`
		}) bool {
			return s.Run == "terraform apply -input=false -no-color tfplan"
		}) {
			t.Errorf("apply-%s does not apply the saved plan", env.Name)
		}
	}
	if got := len(ap.Jobs); got != 2*len(p.EnvironmentList) {
		t.Errorf("apply workflow has %d jobs, want %d", got, 2*len(p.EnvironmentList))
	}
	for _, f := range []workflow{pr, ap} {
		var on map[string]any
		for k, v := range f.On {
			if k == "push" || k == "pull_request" {
				on, _ = v.(map[string]any)
			}
		}
		if b := fmt.Sprint(on["branches"]); b != "["+gh.Branch+"]" {
			t.Errorf("branches %s, want [%s]", b, gh.Branch)
		}
	}
}

func parse(t *testing.T, data []byte) workflow {
	var w workflow
	if err := yaml.Unmarshal(data, &w); err != nil {
		t.Fatal(err)
	}
	return w
}

// assumed is the role, region and account a job's AWS credentials step
// asks for.
func assumed(j job) string {
	for _, s := range j.Steps {
		if strings.HasPrefix(s.Uses, "aws-actions/configure-aws-credentials@") {
			return s.With["role-to-assume"] + " " + s.With["aws-region"] + " " + s.With["allowed-account-ids"]
		}
	}
	return ""
}

// TestTerraformDir holds the workflows' idea of where an environment's
// Terraform lives equal to the terraform emitter's.
func TestTerraformDir(t *testing.T) {
	if workflows.TerraformDir("prod") != terraform.Dir("prod") {
		t.Errorf("%s != %s", workflows.TerraformDir("prod"), terraform.Dir("prod"))
	}
}

// Without delivery.github, nothing is rendered.
func TestNoDelivery(t *testing.T) {
	p := example(t)
	p.Delivery.GitHub = nil
	tr := tree.New()
	if err := workflows.New().Emit(p, tr); err != nil {
		t.Fatal(err)
	}
	if n := tr.Root(tree.GitHubWorkflows).Len() + tr.Len(); n != 0 {
		t.Errorf("%d files without delivery.github", n)
	}
}
