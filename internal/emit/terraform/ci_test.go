package terraform_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/idpgen/idpgen/internal/awsnames"
	. "github.com/idpgen/idpgen/internal/emit/terraform"
	"github.com/idpgen/idpgen/internal/render"
)

// TestGitHubCIRoles: with delivery.github, every environment has exactly
// two roles that trust GitHub's OIDC provider, and each trusts exactly the
// subjects of this repository it must: the plan role pull requests and the
// tracked branch, the apply role only the GitHub environment of the same
// name, both for the audience sts.amazonaws.com. The plan role only reads;
// each account declares its provider once (in its first environment in
// promotion order, the others trust it by ARN). Without delivery.github
// there is no provider and no such role. Run over the example, the example
// with staging in dev's account, and the synthetic platform (no delivery).
func TestGitHubCIRoles(t *testing.T) {
	shared, err := render.Load(examplePlatform)
	if err != nil {
		t.Fatal(err)
	}
	shared.Environments["staging"].Account = shared.Environments["dev"].Account
	shared.Index()
	sharedTree, err := render.Model(shared, []render.Emitter{New()})
	if err != nil {
		t.Fatal(err)
	}
	cases := append(platforms(t), rendered{"staging in dev's account", shared, sharedTree})
	for _, r := range cases {
		gh := r.p.Delivery.GitHub
		providers := map[string]int{} // account -> providers declared
		for _, env := range r.p.EnvironmentList {
			where := r.name + " " + env.Name
			n := awsnames.For(r.p, env)
			d := decode(t, r.tr, env.Name)
			docs := d.blocks("data", "aws_iam_policy_document")
			roles := d.blocks("resource", "aws_iam_role")
			provs := d.blocks("resource", "aws_iam_openid_connect_provider")
			providers[env.Account] += len(provs)
			if gh == nil {
				if len(provs) > 0 {
					t.Errorf("%s: an OIDC provider without delivery.github", where)
				}
			} else if owns := awsnames.OwnsGitHubOIDCProvider(r.p, env); owns != (len(provs) == 1) {
				t.Errorf("%s: %d providers, owns the account's: %v", where, len(provs), owns)
			}
			for _, p := range provs {
				if p["url"] != "https://token.actions.githubusercontent.com" || !slices.Equal(strs(p["client_id_list"]), []string{"sts.amazonaws.com"}) {
					t.Errorf("%s: provider %v", where, p)
				}
			}
			providerRef := n.GitHubOIDCProviderARN()
			if len(provs) == 1 {
				providerRef = "${aws_iam_openid_connect_provider.github.arn}"
			}
			federated := map[string][]string{} // role -> subjects
			for name, role := range roles {
				for _, st := range statements(docs[docOf(role["assume_role_policy"])]) {
					if asList(st["principals"]) == nil || asMap(asList(st["principals"])[0])["type"] != "Federated" {
						continue
					}
					if !trusts(st, "Federated", providerRef) {
						t.Errorf("%s: role %s trusts %v, want %s", where, name, st["principals"], providerRef)
					}
					c := conditions(st)
					if !slices.Equal(c[cond{"StringEquals", "token.actions.githubusercontent.com:aud"}], []string{"sts.amazonaws.com"}) || len(c) != 2 {
						t.Errorf("%s: role %s conditions %v", where, name, c)
					}
					if !slices.Equal(strs(st["actions"]), []string{"sts:AssumeRoleWithWebIdentity"}) {
						t.Errorf("%s: role %s actions %v", where, name, st["actions"])
					}
					federated[name] = c[cond{"StringEquals", "token.actions.githubusercontent.com:sub"}]
				}
			}
			if gh == nil {
				if len(federated) > 0 {
					t.Errorf("%s: roles trust GitHub without delivery.github: %v", where, federated)
				}
				continue
			}
			plan, apply := awsnames.GitHubSubjects(gh, env)
			want := map[string][]string{"ci_plan": plan, "ci_apply": apply}
			if len(federated) != 2 || !slices.Equal(federated["ci_plan"], plan) || !slices.Equal(federated["ci_apply"], apply) {
				t.Errorf("%s: roles trusting GitHub %v, want %v", where, federated, want)
			}
			for _, s := range apply {
				if !strings.HasSuffix(s, ":environment:"+env.Name) {
					t.Errorf("%s: the apply role trusts %s", where, s)
				}
			}
			if roles["ci_plan"]["name"] != n.CIPlanRole() || roles["ci_apply"]["name"] != n.CIApplyRole() {
				t.Errorf("%s: role names %v, %v", where, roles["ci_plan"]["name"], roles["ci_apply"]["name"])
			}
			attached := map[string][]string{}
			for _, a := range d.blocks("resource", "aws_iam_role_policy_attachment") {
				role := addrOf(a["role"], "aws_iam_role")
				attached[role] = append(attached[role], a["policy_arn"].(string))
			}
			if !slices.Equal(attached["ci_plan"], []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}) || !slices.Equal(attached["ci_apply"], []string{"arn:aws:iam::aws:policy/AdministratorAccess"}) {
				t.Errorf("%s: policies %v", where, attached)
			}
			// The plan role's inline policy only denies.
			for _, p := range d.blocks("resource", "aws_iam_role_policy") {
				if addrOf(p["role"], "aws_iam_role") != "ci_plan" {
					continue
				}
				for _, st := range statements(docs[docOf(p["policy"])]) {
					if st["effect"] != "Deny" {
						t.Errorf("%s: the plan role's inline policy allows %v", where, st["actions"])
					}
				}
			}
		}
		for acct, n := range providers {
			if gh != nil && n != 1 {
				t.Errorf("%s: account %s declares %d GitHub OIDC providers, want 1", r.name, acct, n)
			}
		}
	}
}
