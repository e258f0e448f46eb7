package terraform

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/idpgen/idpgen/internal/awsnames"
	"github.com/idpgen/idpgen/internal/diag"
	"github.com/idpgen/idpgen/internal/model"
	"github.com/idpgen/idpgen/internal/tfcheck"
	"github.com/idpgen/idpgen/internal/tree"
)

// nameAttrs says which argument of which resource declares an AWS name of
// each kind.
var nameAttrs = map[string]struct{ attr, kind string }{
	"aws_eks_cluster":    {"name", awsnames.KindCluster},
	"aws_iam_role":       {"name", awsnames.KindRole},
	"aws_sqs_queue":      {"name", awsnames.KindQueue},
	"aws_s3_bucket":      {"bucket", awsnames.KindBucket},
	"aws_kms_alias":      {"name", awsnames.KindKMSAlias},
	"aws_ecr_repository": {"name", awsnames.KindECRRepository},
	"aws_dynamodb_table": {"name", awsnames.KindDynamoDBTable},
	"aws_sns_topic":      {"name", awsnames.KindSNSTopic},
}

// Declared is what a root module declares: kind -> literal names.
type Declared map[string]map[string]bool

// Has reports whether name of kind is declared.
func (d Declared) Has(kind, name string) bool { return d[kind][name] }

// DeclaredNames reads the literal AWS names a root module declares, plus
// the values of its karpenter.sh/discovery tags (kind "tag").
func DeclaredNames(files []tfcheck.File) (Declared, error) {
	d := Declared{}
	add := func(kind, name string) {
		if d[kind] == nil {
			d[kind] = map[string]bool{}
		}
		d[kind][name] = true
	}
	discovery := awsnames.DiscoveryTagKey
	for _, f := range files {
		var root struct {
			Resource map[string]map[string]map[string]any `json:"resource"`
		}
		if err := json.Unmarshal(f.Data, &root); err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		for typ, blocks := range root.Resource {
			for _, body := range blocks {
				if na, ok := nameAttrs[typ]; ok {
					if s, ok := body[na.attr].(string); ok && !strings.Contains(s, "${") {
						add(na.kind, s)
					}
				}
				if tags, ok := body["tags"].(map[string]any); ok {
					if v, ok := tags[discovery].(string); ok {
						add(awsnames.KindTag, v)
						add(tagOn(typ), v) // crosscheck_karpenter.go
					}
				}
			}
		}
	}
	return d, nil
}

var (
	arnRE   = regexp.MustCompile(`arn:aws:([a-z0-9-]+):([a-z0-9-]*):([0-9]*|aws):([A-Za-z0-9_+=,.@/:*-]+)`)
	ecrRE   = regexp.MustCompile(awsnames.ECRImagePattern)
	aliasRE = regexp.MustCompile(`\balias/[A-Za-z0-9/_-]+`)
)

// CrossCheck asserts that every AWS name the Kubernetes side of env refers
// to (the YAML under generated/environments/<env>/) is declared by env's
// Terraform root module: ARNs (roles, queues, buckets, key aliases, the
// cluster) in env's account and region, ECR image addresses, KMS aliases,
// and every name of awsnames' catalog that appears in the YAML.
//
// Each problem is located in the model: on the service whose files refer to
// the name (on its image for an ECR address), or else on the environment.
func CrossCheck(p *model.Platform, t *tree.Tree, env string) error {
	e, ok := p.Environments[env]
	if !ok {
		return diag.At(p.Src, "environments", "terraform: no environment %q to cross-check", env)
	}
	n := awsnames.For(p, e)
	declared, err := DeclaredNames(ModuleFiles(t, env))
	if err != nil {
		return diag.At(e.Src, "", "terraform: %v", err)
	}
	// Joined rather than a cue/errors list, whose Error() shows only the
	// first: each part keeps its position for diag, and the text has all.
	var errs []error
	seen := map[string]bool{}
	// problem reports what file says wrong, on the value sel of the
	// service the file belongs to, or on the environment.
	problem := func(file, sel, format string, args ...any) {
		msg := "terraform: " + fmt.Sprintf(format, args...)
		if seen[file+msg] {
			return
		}
		seen[file+msg] = true
		if svc := serviceOf(p, env, file); svc != nil {
			errs = append(errs, diag.At(svc.Src, sel, "%s", msg))
			return
		}
		errs = append(errs, diag.At(e.Src, "", "%s", msg))
	}
	// The central registry's repositories are declared by its own module.
	var registry Declared
	if _, ok := awsnames.CentralRegistry(p); ok {
		if registry, err = DeclaredNames(RegistryModuleFiles(t)); err != nil {
			return diag.At(e.Src, "", "terraform: %v", err)
		}
	}
	missing := func(file, what, kind, name string) {
		sel := ""
		if kind == awsnames.KindECRRepository {
			sel = "image.repository"
		}
		problem(file, sel, "%s refers to %s, but %s declares no %s %q", file, what, Dir(env), kind, name)
	}
	// Every catalog name, looked up by the whole names a file contains:
	// one pass over each file instead of one search per name.
	catalog := map[string][]awsnames.Named{}
	for _, c := range n.Catalog(p) {
		catalog[c.Name] = append(catalog[c.Name], c)
	}
	prefix := "environments/" + env + "/"
	for _, f := range t.Files() {
		if !strings.HasPrefix(f.Path, prefix) || strings.HasPrefix(f.Path, Dir(env)+"/") ||
			!(strings.HasSuffix(f.Path, ".yaml") || strings.HasSuffix(f.Path, ".yml")) {
			continue
		}
		text := string(f.Data)
		for _, m := range findAll(arnRE, "arn:", text) {
			arn, service, region, account, resource := m[0], m[1], m[2], m[3], m[4]
			if account == "aws" {
				continue // AWS managed policies and access policies
			}
			if account != "" && account != e.Account {
				problem(f.Path, "", "%s refers to %s in account %s, not the environment's account %s", f.Path, arn, account, e.Account)
				continue
			}
			if region != "" && region != e.Region {
				problem(f.Path, "", "%s refers to %s in region %s, not the environment's region %s", f.Path, arn, region, e.Region)
				continue
			}
			kind, name := "", ""
			switch {
			case service == "acm" && strings.HasPrefix(resource, "certificate/"):
				// Issued outside the platform and named in the model
				// (environments.<env>.ingress.certificates); its account
				// and region are checked above.
				continue
			case service == "iam" && strings.HasPrefix(resource, "role/"):
				kind, name = awsnames.KindRole, resource[strings.LastIndex(resource, "/")+1:]
			case service == "sqs":
				kind, name = awsnames.KindQueue, resource
			case service == "s3":
				kind, name = awsnames.KindBucket, strings.SplitN(resource, "/", 2)[0]
			case service == "kms" && strings.HasPrefix(resource, "alias/"):
				kind, name = awsnames.KindKMSAlias, resource
			case service == "eks" && strings.HasPrefix(resource, "cluster/"):
				kind, name = awsnames.KindCluster, strings.TrimPrefix(resource, "cluster/")
			case service == "dynamodb" && strings.HasPrefix(resource, "table/"):
				kind, name = awsnames.KindDynamoDBTable, strings.SplitN(strings.TrimPrefix(resource, "table/"), "/", 2)[0]
			case service == "sns":
				kind, name = awsnames.KindSNSTopic, strings.SplitN(resource, ":", 2)[0]
			default:
				problem(f.Path, "", "%s refers to %s, which the cross-check cannot map to a Terraform resource; refer to it through awsnames and teach CrossCheck its kind", f.Path, arn)
				continue
			}
			if name == n.AdminRole(p) {
				continue // the organisation's role: they exist before any environment
			}
			if !declared.Has(kind, name) {
				missing(f.Path, arn, kind, name)
			}
		}
		for _, m := range findAll(ecrRE, ".dkr.ecr.", text) {
			if prob := ecrProblem(p, n, env, f.Path, m, declared, registry); prob != "" {
				problem(f.Path, "image.repository", "%s", prob)
			}
		}
		for _, m := range findAll(aliasRE, "alias/", text) {
			alias := m[0]
			if !declared.Has(awsnames.KindKMSAlias, alias) {
				missing(f.Path, alias, awsnames.KindKMSAlias, alias)
			}
		}
		for _, tok := range tokens(text) {
			for _, c := range catalog[tok] {
				if !declared.Has(c.Kind, c.Name) {
					missing(f.Path, c.Name, c.Kind, c.Name)
				}
			}
		}
	}
	for _, msg := range nodeClassProblems(t, env, declared) { // crosscheck_karpenter.go
		problem("", "", "%s", msg)
	}
	return errors.Join(errs...)
}

// findAll is re's matches in text, skipping the regexp search (most of the
// cross-check's time) when text lacks a literal every match contains.
func findAll(re *regexp.Regexp, literal, text string) [][]string {
	if !strings.Contains(text, literal) {
		return nil
	}
	return re.FindAllStringSubmatch(text, -1)
}

// serviceOf is the service whose files under environments/<env>/ include
// file (its overlay and its secrets), or nil.
func serviceOf(p *model.Platform, env, file string) *model.Service {
	rest, ok := strings.CutPrefix(file, "environments/"+env+"/")
	if !ok {
		return nil
	}
	for _, dir := range []string{"services/", "secrets/"} {
		if r, ok := strings.CutPrefix(rest, dir); ok {
			name, _, _ := strings.Cut(r, "/")
			return p.Services[name]
		}
	}
	return nil
}

// ecrProblem checks an ECR image address (a match of ecrRE) in file: it
// must be in a repository the platform's Terraform declares, in the
// registry the environment pulls from (the central one, or the
// environment's own), or in a registry policy.allowedRegistries lists as
// external. It returns "" when it is.
func ecrProblem(p *model.Platform, n awsnames.Names, envName, file string, m []string, env, central Declared) string {
	repo := m[3] // the tag or digest that follows is not part of it
	img := awsnames.ECRImage{Account: m[1], Region: m[2], Repository: repo}
	reg := n.Registry()
	switch {
	case reg.Holds(img) && reg.Central:
		if !central.Has(awsnames.KindECRRepository, repo) {
			return fmt.Sprintf("%s refers to %s, but %s declares no %s %q", file, m[0], RegistryDir, awsnames.KindECRRepository, repo)
		}
	case reg.Holds(img):
		if !env.Has(awsnames.KindECRRepository, repo) {
			return fmt.Sprintf("%s refers to %s, but %s declares no %s %q", file, m[0], Dir(envName), awsnames.KindECRRepository, repo)
		}
	case p.Policy.AllowsRegistry(img.Address()):
		// An external registry the policy names: not the platform's to create.
	default:
		return fmt.Sprintf("%s refers to image %s in the ECR of account %s, region %s, which is neither the registry the environment pulls from (%s) nor listed as external in policy.allowedRegistries",
			file, m[0], img.Account, img.Region, reg.Host())
	}
	return ""
}

// tokens lists the whole names in text: the maximal runs of name
// characters, so that "acme-prod" is not found inside "acme-prod-vault".
func tokens(text string) []string {
	var out []string
	start := -1
	for i := 0; i <= len(text); i++ {
		if i < len(text) && nameChar(text[i]) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			out = append(out, text[start:i])
			start = -1
		}
	}
	return out
}

func nameChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '/'
}
