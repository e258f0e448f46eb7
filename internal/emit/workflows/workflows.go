// Package workflows renders the platform's GitHub Actions workflows
// (delivery.github) into the second root the writer owns, the repository's
// .github/workflows/ (tree.GitHubWorkflows):
//
//	idpgen-pull-request.yml  pull requests against the tracked branch: idpgen vet
//	                         (annotations), render --check, terraform fmt, one
//	                         comment with diff, cost and graph, and terraform
//	                         plan of each environment whose Terraform changed
//	idpgen-apply.yml         pushes to the tracked branch: terraform plan of every
//	                         environment, then apply of the saved plan, one GitHub
//	                         environment after the other in promotion order
//
// The AWS roles they assume come from internal/awsnames, the same names the
// Terraform emitter declares. No kubectl or helm: Argo CD deploys the
// Kubernetes side from git.
package workflows

import (
	"bytes"
	"fmt"
	"path"
	"strconv"
	"strings"
	"text/template"

	"github.com/idpgen/idpgen/internal/awsnames"
	"github.com/idpgen/idpgen/internal/model"
	"github.com/idpgen/idpgen/internal/tree"
)

// Emitter writes the workflows.
type Emitter struct{}

// New returns the emitter.
func New() Emitter { return Emitter{} }

// Name identifies the emitter in errors.
func (Emitter) Name() string { return "workflows" }

// File names below .github/workflows/.
const (
	PullRequestFile = "idpgen-pull-request.yml"
	ApplyFile       = "idpgen-apply.yml"
)

// CommentMarker identifies the pull-request comment the workflow updates
// in place.
const CommentMarker = "<!-- idpgen:pull-request -->"

// TerraformDir is an environment's Terraform root module below the rendered
// tree (the terraform emitter's Dir; a test holds them equal).
func TerraformDir(env string) string { return path.Join("environments", env, "terraform") }

// Emit renders the workflows when the platform declares delivery.github.
func (e Emitter) Emit(p *model.Platform, out *tree.Tree) error {
	if p.Delivery.GitHub == nil {
		return nil
	}
	d := newData(p)
	root := out.Root(tree.GitHubWorkflows)
	for _, f := range []struct {
		name string
		tmpl *template.Template
	}{{PullRequestFile, pullRequest}, {ApplyFile, apply}} {
		var b bytes.Buffer
		b.WriteString("# " + tree.Marker + "\n")
		if err := f.tmpl.Execute(&b, d); err != nil {
			return fmt.Errorf("workflows: %s: %w", f.name, err)
		}
		if err := root.Add(e.Name(), f.name, b.Bytes()); err != nil {
			return err
		}
	}
	return nil
}

type envData struct {
	Name, Region, Account string
	Dir                   string // Terraform root module, from the repository root
	PlanRole, ApplyRole   string // ARNs
	Prev                  string // the environment before it in promotion order
}

type data struct {
	*model.GitHubDelivery
	Platform, Out string
	FromRepo      bool
	Envs          []envData
	GraphEnv      string
	Pins          map[string]pin
	Marker        string
}

func newData(p *model.Platform) data {
	gh := p.Delivery.GitHub
	d := data{
		GitHubDelivery: gh,
		Platform:       p.Dir,
		Out:            p.Repo.Path,
		FromRepo:       gh.IDPGen == model.IDPGenFromRepository,
		Marker:         CommentMarker,
		Pins: map[string]pin{
			"checkout": checkout, "setupGo": setupGo, "awsCreds": awsCreds, "setupTF": setupTF,
			"upload": upload, "download": download, "script": script,
		},
	}
	prev := ""
	for _, env := range p.EnvironmentList {
		n := awsnames.For(p, env)
		d.Envs = append(d.Envs, envData{
			Name: env.Name, Region: env.Region, Account: env.Account,
			Dir:      path.Join(p.Repo.Path, TerraformDir(env.Name)),
			PlanRole: n.RoleARN(n.CIPlanRole()), ApplyRole: n.RoleARN(n.CIApplyRole()),
			Prev: prev,
		})
		prev = env.Name
		d.GraphEnv = env.Name
	}
	return d
}

// q quotes a string for YAML (a JSON string is a YAML double-quoted
// scalar).
func q(s string) string { return strconv.Quote(s) }

func parse(name, text string) *template.Template {
	return template.Must(template.New(name).Delims("[[", "]]").Funcs(template.FuncMap{
		"q":     q,
		"lower": strings.ToLower,
		"fence": func() string { return "```" },
	}).Parse(text))
}
