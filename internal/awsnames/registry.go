package awsnames

import (
	"fmt"
	"regexp"

	"github.com/idpgen/idpgen/internal/model"
)

// Registry is an ECR registry: an account and a region.
type Registry struct {
	Account, Region string
	// Central is set for the platform's one registry (aws.registry), whose
	// repositories the root module generated/registry/terraform creates;
	// unset, the registry is the environment's own and its root module
	// creates them.
	Central bool
}

// Registry is where the environment pulls the services' images from.
func (n Names) Registry() Registry {
	if r := n.registry; r != nil {
		return Registry{Account: r.Account, Region: r.Region, Central: true}
	}
	return Registry{Account: n.env.Account, Region: n.env.Region}
}

// CentralRegistry is the platform's one registry, if it has one.
func CentralRegistry(p *model.Platform) (Registry, bool) {
	r := p.AWS.Registry
	if r == nil {
		return Registry{}, false
	}
	return Registry{Account: r.Account, Region: r.Region, Central: true}, true
}

// Host is the registry's address, e.g.
// "444444444444.dkr.ecr.eu-west-1.amazonaws.com".
func (r Registry) Host() string {
	return fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com", r.Account, r.Region)
}

// URL is the address of a repository of the registry.
func (r Registry) URL(repo string) string { return r.Host() + "/" + repo }

// Holds reports whether img is in this registry.
func (r Registry) Holds(img ECRImage) bool { return img.Account == r.Account && img.Region == r.Region }

// RegistryStateKey is the Terraform state object of the central registry's
// root module in the platform's state bucket.
func RegistryStateKey(p *model.Platform) string { return p.Name + "/registry/terraform.tfstate" }

// ECRImage is an image address in a private ECR registry.
type ECRImage struct {
	Account, Region, Repository string
}

// Address is the image's repository address, without tag or digest.
func (i ECRImage) Address() string {
	return Registry{Account: i.Account, Region: i.Region}.URL(i.Repository)
}

// ECRImagePattern matches a private ECR repository address, without tag
// or digest: account, region and repository are its groups. The
// cross-check finds image addresses in rendered text with it.
const ECRImagePattern = `([0-9]{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com/([a-z0-9._/-]+)`

var ecrImage = regexp.MustCompile("^" + ECRImagePattern + "$")

// ParseECRImage reads an image repository ("<account>.dkr.ecr.<region>.
// amazonaws.com/<name>"); ok is false for any other registry.
func ParseECRImage(repository string) (img ECRImage, ok bool) {
	m := ecrImage.FindStringSubmatch(repository)
	if m == nil {
		return ECRImage{}, false
	}
	return ECRImage{Account: m[1], Region: m[2], Repository: m[3]}, true
}

// ECRRepositories lists the repositories the platform creates in a
// registry: with a central registry (env ""), one per service, so that
// images can be pushed before a service is enabled anywhere; in an
// environment's own registry, one per service enabled in it.
func ECRRepositories(p *model.Platform, env string) []string {
	var out []string
	for _, svc := range p.ServiceList {
		if env == "" || svc.Enabled(env) {
			out = append(out, ECRRepository(p, svc.Name))
		}
	}
	return out
}

// ECRRepository is the image repository of a service (in whichever
// registry holds it).
func ECRRepository(p *model.Platform, service string) string {
	return For(p, nil).ECRRepository(service)
}

// NodeRoles are the IAM roles of the environment's nodes: the ones that
// pull images.
func (n Names) NodeRoles(p *model.Platform) []string {
	roles := []string{n.SystemNodeRole()}
	if p.Addons.Karpenter.In(n.env.Name) {
		roles = append(roles, n.KarpenterNodeRole())
	}
	return roles
}
