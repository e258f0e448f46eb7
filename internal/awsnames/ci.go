package awsnames

import (
	"fmt"

	"github.com/idpgen/idpgen/internal/model"
)

// GitHub Actions' OIDC identity provider, which the CI roles trust
// (delivery.github; README, "Pull requests and merges").
const (
	// GitHubOIDCHost is the issuer's host: IAM names the provider after
	// it, and its claims are condition keys "<host>:sub", "<host>:aud".
	GitHubOIDCHost = "token.actions.githubusercontent.com"
	// GitHubOIDCAudience is the audience aws-actions/configure-aws-credentials
	// requests (its default).
	GitHubOIDCAudience = "sts.amazonaws.com"
)

// GitHubOIDCProviderARN is the ARN of the account's GitHub OIDC provider.
// There is one per account: the first environment of the account in
// promotion order declares it (OwnsGitHubOIDCProvider), the others trust
// it by this ARN.
func (n Names) GitHubOIDCProviderARN() string {
	return fmt.Sprintf("arn:%s:iam::%s:oidc-provider/%s", Partition, n.env.Account, GitHubOIDCHost)
}

// OwnsGitHubOIDCProvider reports whether env is the first environment of
// its account in promotion order, whose Terraform declares the account's
// GitHub OIDC provider.
func OwnsGitHubOIDCProvider(p *model.Platform, env *model.Environment) bool {
	for _, e := range p.EnvironmentList {
		if e.Account == env.Account {
			return e == env
		}
	}
	return false
}

// CIPlanRole is the role pull requests and the tracked branch plan the
// environment's Terraform with: read-only.
func (n Names) CIPlanRole() string { return limit(n.Cluster()+"-ci-plan", 64) }

// CIApplyRole is the role the apply job of the environment's GitHub
// environment assumes.
func (n Names) CIApplyRole() string { return limit(n.Cluster()+"-ci-apply", 64) }

// GitHubSubjects are the OIDC subject claims ("sub") of the repository's
// workflows that may assume the environment's CI roles: the plan role
// trusts pull requests and pushes to the tracked branch (jobs without a
// GitHub environment), the apply role only jobs bound to the GitHub
// environment named after the environment.
func GitHubSubjects(gh *model.GitHubDelivery, env *model.Environment) (plan, apply []string) {
	repo := "repo:" + gh.Repository
	return []string{repo + ":pull_request", repo + ":ref:refs/heads/" + gh.Branch},
		[]string{repo + ":environment:" + env.Name}
}
