package terraform

import (
	"path"
	"slices"

	"github.com/idpgen/idpgen/internal/awsnames"
	"github.com/idpgen/idpgen/internal/model"
)

// The central registry (aws.registry) has a root module of its own,
// generated/registry/terraform, applied with credentials for the registry's
// account: its repositories are created once, whichever environments come
// and go, and no environment's state (or destroy) can touch the images
// every other environment runs. It is independent of the environments'
// modules: the repository policy names their node roles by ARN in a
// condition, so it can be applied before or after any environment.

// RegistryDir is where the central registry's root module lives, below
// generated/.
const RegistryDir = "registry/terraform"

// RegistryFiles are the files of the registry's root module, without the
// .tf.json suffix.
var RegistryFiles = []string{"main", "ecr", "outputs"}

// pullActions are what a node needs to pull an image, and all that the
// repository policy grants.
var pullActions = []string{"ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"}

// RegistryModule builds the central registry's root module, or returns nil
// when the platform has none.
func RegistryModule(p *model.Platform) (map[string]map[string]any, error) {
	reg, ok := awsnames.CentralRegistry(p)
	if !ok {
		return nil, nil
	}
	b := &builder{module: newModule(), p: p}
	stateRegion := reg.Region
	if p.AWS.StateRegion != "" {
		stateRegion = p.AWS.StateRegion
	}
	tf := p.AWS.Terraform
	b.put("main", "terraform", obj{
		"required_version": tf.RequiredVersion,
		"required_providers": obj{
			"aws": obj{"source": "hashicorp/aws", "version": tf.AWSProviderVersion},
		},
		"backend": obj{"s3": obj{
			"bucket":       p.AWS.StateBucket,
			"key":          awsnames.RegistryStateKey(p),
			"region":       stateRegion,
			"encrypt":      true,
			"use_lockfile": true,
		}},
	}, "terraform")
	b.put("main", "provider.aws", obj{
		"region":              reg.Region,
		"allowed_account_ids": []string{reg.Account},
		"default_tags":        obj{"tags": obj{"platform": p.Name, "component": "registry", "managed-by": "idpgen"}},
	}, "provider", "aws")

	// Who may pull: the node roles of every environment, from their
	// accounts. The principals are the accounts (a role ARN as principal
	// must exist when the policy is set, which would tie this module to
	// every environment's apply); the condition narrows them to the node
	// roles, and to the organisation when there is one.
	var accounts, roles []string
	for _, env := range p.EnvironmentList {
		n := awsnames.For(p, env)
		accounts = append(accounts, n.AccountRootARN())
		for _, r := range n.NodeRoles(p) {
			roles = append(roles, n.RoleARN(r))
		}
	}
	slices.Sort(accounts)
	slices.Sort(roles)
	conds := []condition{{Test: "ArnEquals", Variable: "aws:PrincipalArn", Values: slices.Compact(roles)}}
	if org := p.AWS.OrganizationID; org != "" {
		conds = append(conds, equals("aws:PrincipalOrgID", org))
	}
	doc := b.policy("ecr", "pull", statement{
		Sid:        "PullFromPlatformNodes",
		Actions:    pullActions,
		Principals: []principal{{Type: "AWS", Identifiers: slices.Compact(accounts)}},
		Conditions: conds,
	})

	key := b.keyIn("ecr", "ecr", awsnames.RegistryKeyAlias(p), "ECR repositories of "+p.Name+" (every environment pulls from them)", reg.RootARN(), true)
	b.registryScanning("ecr", true) // prod pulls from here
	repos := obj{}
	for _, svc := range p.ServiceList { // all of them: awsnames.ECRRepositories
		repo := b.ecrRepository("ecr", svc, key, p.AWS.Registry.KeepTaggedImages, p.AWS.Registry.UntaggedExpiryDays)
		b.resource("ecr", "aws_ecr_repository_policy", tfName(svc.Name), obj{
			"repository": ref(repo, "name"),
			"policy":     doc,
		})
		repos[svc.Name] = ref(repo, "repository_url")
	}
	b.output("repository_urls", "Image repository of each service: CI pushes here, every environment pulls from here.", repos)
	if b.err != nil {
		return nil, b.err
	}
	for _, f := range RegistryFiles {
		if _, ok := b.files[f]; !ok {
			b.files[f] = obj{}
		}
	}
	return b.files, nil
}

// registryPath is the path of a file of the registry's root module.
func registryPath(name string) string { return path.Join(RegistryDir, name+".tf.json") }
