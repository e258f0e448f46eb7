package terraform

import (
	"github.com/idpgen/idpgen/internal/awsnames"
)

// ciRoles declares, with delivery.github, what the generated GitHub Actions
// workflows assume in the environment's account: the account's GitHub OIDC
// provider (in the first environment of the account in promotion order)
// and two roles that trust exactly the platform repository.
//
//   - The plan role (pull requests and the tracked branch) reads:
//     ReadOnlyAccess, minus the data the platform keeps (objects other than
//     the Terraform state, table items, queue messages, secret values).
//     Plans run with -lock=false, so it writes nothing, not even the lock.
//   - The apply role is assumable only by jobs bound to the GitHub
//     environment of the same name (where prod's required reviewers and
//     deployment branch rules apply). Terraform creates and deletes IAM
//     roles, KMS keys, clusters and networks here, so it has
//     AdministratorAccess (README, "Pull requests and merges").
func (b *builder) ciRoles() {
	gh := b.p.Delivery.GitHub
	if gh == nil {
		return
	}
	const f = "iam"
	n := b.n
	federated := principal{Type: "Federated", Identifiers: []string{n.GitHubOIDCProviderARN()}}
	if awsnames.OwnsGitHubOIDCProvider(b.p, b.env) {
		addr := b.resource(f, "aws_iam_openid_connect_provider", "github", obj{
			"url":            "https://" + awsnames.GitHubOIDCHost,
			"client_id_list": []string{awsnames.GitHubOIDCAudience},
			"//":             "One per account: declared by the account's first environment in promotion order; the others trust it by its ARN.",
		})
		// The roles' trust refers to it, so Terraform creates it first.
		federated = principal{Type: "Federated", Refs: []expr{ref(addr, "arn")}}
	}
	planSubs, applySubs := awsnames.GitHubSubjects(gh, b.env)
	trust := func(id string, subs []string) expr {
		return b.policy(f, id+"_trust", statement{
			Sid:        "GitHubActions",
			Actions:    []string{"sts:AssumeRoleWithWebIdentity"},
			Principals: []principal{federated},
			Conditions: []condition{
				equals(awsnames.GitHubOIDCHost+":aud", awsnames.GitHubOIDCAudience),
				equals(awsnames.GitHubOIDCHost+":sub", subs...),
			},
		})
	}
	planBody := obj{
		"name":               n.CIPlanRole(),
		"description":        "Terraform plan of " + n.Cluster() + " from GitHub Actions (" + gh.Repository + "): read-only",
		"assume_role_policy": trust("ci_plan", planSubs),
	}
	applyBody := obj{
		"name":               n.CIApplyRole(),
		"description":        "Terraform apply of " + n.Cluster() + " from GitHub Actions (" + gh.Repository + ", environment " + b.env.Name + ")",
		"assume_role_policy": trust("ci_apply", applySubs),
	}
	plan := b.resource(f, "aws_iam_role", "ci_plan", planBody)
	b.attach("ci_plan", plan, "ReadOnlyAccess")
	state := n.BucketARN(b.p.AWS.StateBucket) + "/" + n.StateKey()
	b.inlinePolicy("ci_plan_no_data", plan, "no-data-reads", statement{
		Sid:          "NoObjectsButTheState",
		Effect:       "Deny",
		Actions:      []string{"s3:GetObject", "s3:GetObjectVersion"},
		NotResources: []string{state},
	}, statement{
		Sid:    "NoItemsMessagesOrSecrets",
		Effect: "Deny",
		Actions: []string{
			"dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:GetRecords", "dynamodb:Query", "dynamodb:Scan",
			"sqs:ReceiveMessage", "secretsmanager:GetSecretValue",
		},
		Resources: []string{"*"},
	})
	apply := b.resource(f, "aws_iam_role", "ci_apply", applyBody)
	b.attach("ci_apply", apply, "AdministratorAccess")
}
