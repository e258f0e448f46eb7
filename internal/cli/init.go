package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"text/template"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/load"
	"github.com/spf13/cobra"

	idpload "github.com/idpgen/idpgen/internal/load"
	"github.com/idpgen/idpgen/schemas"
)

// schemaPkgDir is where init vendors the schema: CUE resolves an import
// path in cue.mod/pkg/<path> before asking a registry, so the platform
// imports github.com/idpgen/idpgen/schemas exactly as the example does.
var schemaPkgDir = path.Join("cue.mod/pkg", idpload.SchemaImportPath)

type initOptions struct {
	dir, name, repo, team string
	envs                  []string
}

// initEnv is one environment of the new platform.
type initEnv struct {
	Name, Tier, Account, Region, CIDR string
	Promotion                         int
}

// defaultEnvs are used when no --env is given: one per promotion step,
// placeholder accounts that are valid and distinct per tier.
var defaultEnvs = []string{
	"dev:111111111111:eu-west-1:10.10.0.0/16",
	"staging:222222222222:eu-west-1:10.20.0.0/16",
	"prod:333333333333:eu-west-1:10.30.0.0/16",
}

func newInit(stdout, stderr io.Writer) *cobra.Command {
	o := &initOptions{}
	cmd := &cobra.Command{
		Use:   "init DIR --name NAME --repo URL [--env NAME:ACCOUNT:REGION:CIDR[:TIER] ...]",
		Short: "Write a new platform (a CUE module with the schema) into DIR",
		Long: `init writes a new platform into DIR: a CUE module (cue.mod/module.cue) with
idpgen's schema vendored in cue.mod/pkg/github.com/idpgen/idpgen/schemas (the
schema this binary was built with), and the package platform/ with the
platform, its environments, one team and one example service. It passes
idpgen vet and renders as written: run idpgen render --platform platform in DIR.

Each --env is NAME:ACCOUNT:REGION:CIDR, optionally :TIER (prod or nonprod; by
default prod when the name starts with "prod"), in promotion order. Without
--env, init writes dev, staging and prod with placeholder accounts.

init never overwrites a file: if any file it would write exists, it writes
nothing.

` + exitCodesHelp,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 || args[0] == "" {
				return &exitError{ExitUsage, fmt.Errorf("%s takes one directory, got %d arguments", cmd.CommandPath(), len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.dir = args[0]
			return runInit(o, stdout)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.name, "name", "", "platform name (prefixes every cloud resource; required)")
	f.StringVar(&o.repo, "repo", "", "clone URL of the git repository Argo CD deploys from (required)")
	f.StringVar(&o.team, "team", "apps", "name of the first team")
	f.StringArrayVar(&o.envs, "env", nil, "environment NAME:ACCOUNT:REGION:CIDR[:TIER], repeatable, in promotion order (default dev, staging and prod with placeholder accounts)")
	return cmd
}

func runInit(o *initOptions, stdout io.Writer) error {
	placeholders := len(o.envs) == 0
	if placeholders {
		o.envs = defaultEnvs
	}
	envs, err := o.check()
	if err != nil {
		return &exitError{ExitUsage, err}
	}
	files, err := initFiles(o, envs, placeholders)
	if err != nil {
		return &exitError{ExitFailure, err}
	}
	// Nothing is written unless every file can be: a half-written module
	// would be worse than none.
	var existing []string
	for _, f := range files {
		if _, err := os.Lstat(filepath.Join(o.dir, f.path)); err == nil {
			existing = append(existing, filepath.Join(o.dir, f.path))
		}
	}
	if len(existing) > 0 {
		more := ""
		if len(existing) > 3 {
			more = fmt.Sprintf(" and %d more", len(existing)-3)
			existing = existing[:3]
		}
		return &exitError{ExitFailure, fmt.Errorf("init: refusing to overwrite %s%s; nothing was written", strings.Join(existing, ", "), more)}
	}
	for _, f := range files {
		if err := createFile(filepath.Join(o.dir, f.path), f.data); err != nil {
			return &exitError{ExitFailure, fmt.Errorf("init: %w", err)}
		}
	}
	fmt.Fprintf(stdout, "wrote platform %s into %s (%d files). Next:\n  cd %s\n  idpgen vet --platform platform\n  idpgen render --platform platform\n", o.name, o.dir, len(files), o.dir)
	if placeholders {
		fmt.Fprintf(stdout, "The environments' AWS accounts are placeholders: set yours in %s.\n", filepath.Join(o.dir, "platform", "environments.cue"))
	}
	return nil
}

// createFile writes a new file, never replacing one.
func createFile(name string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// check validates the flags against the schema's own definitions, so that
// init accepts exactly what vet accepts, and reports every problem at once.
func (o *initOptions) check() ([]initEnv, error) {
	schema, err := schemaValue()
	if err != nil {
		return nil, err
	}
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	conforms := func(def, value string) bool {
		v := schema.LookupPath(cue.ParsePath(def)).Unify(schema.Context().Encode(value))
		return v.Validate(cue.Concrete(true)) == nil
	}
	if o.name == "" {
		bad("--name is required")
	} else if !conforms("#Name", o.name) {
		bad("--name %q: a platform name is lower-case letters, digits and '-', starting with a letter, at most 40 characters", o.name)
	} else if !conforms("#AWSOrganization.stateBucket", stateBucket(o.name)) {
		bad("--name %q: too long for the Terraform state bucket name %q", o.name, stateBucket(o.name))
	}
	if o.repo == "" {
		bad("--repo is required")
	} else if !conforms("#Platform.repo.url", o.repo) {
		bad("--repo %q: a clone URL starts with https://, ssh:// or git@", o.repo)
	}
	if !conforms("#Name", o.team) {
		bad("--team %q: a team name is lower-case letters, digits and '-', starting with a letter, at most 40 characters", o.team)
	}
	var envs []initEnv
	seen := map[string]bool{}
	tiers := map[string]string{} // account -> tier
	var nets []netip.Prefix
	for i, spec := range o.envs {
		parts := strings.Split(spec, ":")
		if len(parts) != 4 && len(parts) != 5 {
			bad("--env %q: want NAME:ACCOUNT:REGION:CIDR or NAME:ACCOUNT:REGION:CIDR:TIER", spec)
			continue
		}
		e := initEnv{Name: parts[0], Account: parts[1], Region: parts[2], CIDR: parts[3], Promotion: i, Tier: "nonprod"}
		if strings.HasPrefix(e.Name, "prod") {
			e.Tier = "prod"
		}
		if len(parts) == 5 {
			e.Tier = parts[4]
		}
		n := len(problems)
		switch {
		case !conforms("#Name", e.Name):
			bad("--env %q: environment name %q: lower-case letters, digits and '-', starting with a letter", spec, e.Name)
		case seen[e.Name]:
			bad("--env %q: environment %q is given twice", spec, e.Name)
		}
		seen[e.Name] = true
		if !conforms("#AccountID", e.Account) {
			bad("--env %q: account %q is not a 12-digit AWS account id", spec, e.Account)
		}
		if !conforms("#Region", e.Region) {
			bad("--env %q: region %q is not one idpgen supports (#Region in the schema's types.cue)", spec, e.Region)
		}
		if !conforms("#Tier", e.Tier) {
			bad("--env %q: tier %q must be prod or nonprod", spec, e.Tier)
		} else if t, ok := tiers[e.Account]; ok && t != e.Tier {
			bad("--env %q: account %s hosts both prod and nonprod environments", spec, e.Account)
		} else {
			tiers[e.Account] = e.Tier
		}
		prefix, err := netip.ParsePrefix(e.CIDR)
		switch {
		case err != nil || !conforms("#CIDR", e.CIDR):
			bad("--env %q: %q is not a CIDR such as 10.10.0.0/16", spec, e.CIDR)
		case prefix != prefix.Masked():
			bad("--env %q: CIDR %s has host bits set; did you mean %s?", spec, e.CIDR, prefix.Masked())
		case !prefix.Addr().Is4() || prefix.Bits() > 20:
			bad("--env %q: CIDR %s: a VPC needs an IPv4 range of /20 or larger for its subnets", spec, e.CIDR)
		default:
			for _, other := range nets {
				if other.Overlaps(prefix) {
					bad("--env %q: CIDR %s overlaps %s of another environment", spec, e.CIDR, other)
				}
			}
			nets = append(nets, prefix)
		}
		if len(problems) == n {
			envs = append(envs, e)
		}
	}
	if len(problems) > 0 {
		return nil, errors.New("init: " + strings.Join(problems, "\n  "))
	}
	return envs, nil
}

// schemaValue evaluates the embedded schema package.
func schemaValue() (cue.Value, error) {
	// A directory that exists nowhere: the files come from the overlay.
	dir := filepath.Join(string(filepath.Separator), "idpgen-embedded-schemas")
	overlay := map[string]load.Source{}
	var args []string
	entries, err := fs.ReadDir(schemas.Files, ".")
	if err != nil {
		return cue.Value{}, err
	}
	for _, e := range entries {
		data, err := schemas.Files.ReadFile(e.Name())
		if err != nil {
			return cue.Value{}, err
		}
		p := filepath.Join(dir, e.Name())
		overlay[p] = load.FromBytes(data)
		args = append(args, p)
	}
	insts := load.Instances(args, &load.Config{Dir: dir, Overlay: overlay})
	if len(insts) != 1 || insts[0].Err != nil {
		return cue.Value{}, fmt.Errorf("the embedded schema does not load: %v", insts[0].Err)
	}
	v := cuecontext.New().BuildInstance(insts[0])
	return v, v.Err()
}

func stateBucket(name string) string { return name + "-terraform-state" }

type initFile struct {
	path string // slash-separated, relative to DIR
	data []byte
}

// initFiles renders the new module's files.
func initFiles(o *initOptions, envs []initEnv, placeholders bool) ([]initFile, error) {
	data := map[string]any{
		"Name":         o.name,
		"Repo":         o.repo,
		"Team":         o.team,
		"Bucket":       stateBucket(o.name),
		"Module":       modulePathFor(o.repo, o.name),
		"Language":     cue.LanguageVersion(),
		"Envs":         envs,
		"Placeholders": placeholders,
		"SchemaDir":    schemaPkgDir,
		"Version":      version(),
		"RepoPath":     repoPathFor(o.dir),
	}
	var files []initFile
	for _, t := range []struct{ path, text string }{
		{"cue.mod/module.cue", moduleTemplate},
		{"platform/platform.cue", platformTemplate},
		{"platform/environments.cue", environmentsTemplate},
		{"platform/" + o.team + ".cue", teamTemplate},
	} {
		var b bytes.Buffer
		if err := template.Must(template.New(t.path).Funcs(template.FuncMap{"label": label}).Parse(t.text)).Execute(&b, data); err != nil {
			return nil, err
		}
		files = append(files, initFile{t.path, b.Bytes()})
	}
	entries, err := fs.ReadDir(schemas.Files, ".")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		b, err := schemas.Files.ReadFile(e.Name())
		if err != nil {
			return nil, err
		}
		files = append(files, initFile{path.Join(schemaPkgDir, e.Name()), b})
	}
	return files, nil
}

// label is a CUE field label for a name: quoted unless it is an
// identifier (names may contain '-').
func label(name string) string {
	if strings.Contains(name, "-") {
		return strconv.Quote(name)
	}
	return name
}

// modulePathFor derives the CUE module path from the clone URL
// (https://github.com/acme/platform.git -> github.com/acme/platform); the
// path only matters to packages of the module importing each other.
func modulePathFor(repo, name string) string {
	p := repo
	for _, prefix := range []string{"https://", "ssh://"} {
		p = strings.TrimPrefix(p, prefix)
	}
	if rest, ok := strings.CutPrefix(p, "git@"); ok {
		p = strings.Replace(rest, ":", "/", 1)
	}
	if _, rest, ok := strings.Cut(p, "@"); ok {
		p = rest // user@host
	}
	p = strings.TrimSuffix(strings.TrimSuffix(p, "/"), ".git")
	host, _, _ := strings.Cut(p, "/")
	valid := strings.Contains(host, ".") && !strings.Contains(host, ":")
	for _, r := range p {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune("./-_~", r)) {
			valid = false
		}
	}
	if !valid {
		return name + ".example/platform"
	}
	return p
}

const moduleTemplate = `// The CUE module of the {{.Name}} platform, written by idpgen init.
//
// The idpgen schema is vendored in {{.SchemaDir}}/
// (copied from idpgen {{.Version}}): the platform imports
// "github.com/idpgen/idpgen/schemas" and CUE finds it there. The schema is
// also the reference manual: every field, default and constraint has its doc
// comment there. To upgrade, replace those files with the schemas/*.cue of
// the idpgen release you install.
module: "{{.Module}}@v0"
language: version: "{{.Language}}"
`

const platformTemplate = `// Package platform is the {{.Name}} platform: teams, environments, services,
// add-ons and policy. Render it with
//
//	idpgen render --platform platform
//
// Every field is documented in the schema, in {{.SchemaDir}}/
// (platform.cue: #Platform, environment.cue, service.cue, addons.cue,
// aws.cue, gitops.cue, types.cue).
package platform

import "github.com/idpgen/idpgen/schemas"

schemas.#Platform

name: "{{.Name}}"

// repo is the repository Argo CD deploys from; repo.path (default
// "generated") is the rendered tree in it, where idpgen render writes.
repo: url: "{{.Repo}}"
{{- if .RepoPath}}
// The platform lives below the root of an existing repository: the tree is
// rendered beside it.
repo: path: "{{.RepoPath}}"
{{- end}}

aws: {
	// stateBucket holds every environment's Terraform state; create it once.
	stateBucket: "{{.Bucket}}"
}

// addons: see addons.cue (e.g. datadog, velero, vpa, trivyOperator).

policy: {
	// allowedRegistries are the image prefixes services may use: replace the
	// placeholder with your registry, e.g.
	// "<account>.dkr.ecr.<region>.amazonaws.com/".
	allowedRegistries: ["registry.example.com/{{.Name}}/"]
}
`

const environmentsTemplate = `package platform

// environments are the AWS accounts and clusters services are promoted
// through (promotion 0 first), each an account + region + EKS cluster:
// see environment.cue and aws.cue in the schema. For several regions,
// declare one environment per region. To share environments between
// platforms, move them into a package of their own (see the README).
environments: {
{{- range .Envs}}
	{{label .Name}}: {
		tier:      "{{.Tier}}"
		account:   "{{.Account}}"{{if $.Placeholders}} // placeholder: your AWS account id{{end}}
		region:    "{{.Region}}"
		promotion: {{.Promotion}}
		network: vpcCIDR: "{{.CIDR}}"
	}
{{- end}}
}
`

const teamTemplate = `package platform

// The {{.Team}} team and its services (team: platform.cue #Team; services:
// service.cue #Service). One file per team keeps ownership clear.
teams: {{label .Team}}: {
	// owners are accountable for the team's services: emails or IdP groups.
	owners: ["{{.Team}}-leads@example.com"]
}

// hello is an example service: replace it with your own.
services: hello: {
	team:        "{{.Team}}"
	description: "Example HTTP service"
	image: {repository: "registry.example.com/{{.Name}}/hello", tag: "1.0.0"}
	ports: [{name: "http", port: 8080}]
	resources: requests: {cpuMillis: 100, memoryMiB: 128}
	// Per-environment changes go in overrides, e.g.:
	// overrides: prod: replicas: 3
}
`

// repoPathFor is repo.path for a platform written into dir when dir lies
// below the root of an existing git repository (render requires --out to
// be repo.path there), or "" for the default, "generated" at the root.
func repoPathFor(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return ""
	}
	root := findUp(abs, ".git")
	if root == "" || root == abs {
		return ""
	}
	rel, err := filepath.Rel(root, abs)
	if err != nil {
		return ""
	}
	return filepath.ToSlash(filepath.Join(rel, "generated"))
}
