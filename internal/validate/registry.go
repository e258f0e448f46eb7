package validate

import (
	"strings"

	"cuelang.org/go/cue/errors"

	"github.com/idpgen/idpgen/internal/awsnames"
	"github.com/idpgen/idpgen/internal/diag"
	"github.com/idpgen/idpgen/internal/model"
)

// images checks where every service's image comes from, at the line of its
// image: an ECR image must be in a repository the platform creates (in the
// central registry, or in the ECR of every environment the service runs
// in) or in a registry policy.allowedRegistries lists as external; any
// other image must come from an allowed registry when the policy lists
// any. The platform's own repositories need no listing.
func images(p *model.Platform, add func(errors.Error)) {
	central, isCentral := awsnames.CentralRegistry(p)
	// The repositories the platform creates: in the central registry, or
	// in each environment's own (computed when first needed).
	var centralRepos map[string]bool
	if isCentral {
		centralRepos = toSet(awsnames.ECRRepositories(p, ""))
	}
	envRepos := map[string]map[string]bool{}
	reposOf := func(env string) map[string]bool {
		if envRepos[env] == nil {
			envRepos[env] = toSet(awsnames.ECRRepositories(p, env))
		}
		return envRepos[env]
	}
	for _, svc := range p.ServiceList {
		if svc.Invalid {
			continue
		}
		at := func(format string, args ...any) { add(diag.At(svc.Src, "image.repository", format, args...)) }
		image := svc.Image.Repository
		img, isECR := awsnames.ParseECRImage(image)
		allowed := p.Policy.AllowsRegistry(image)
		switch {
		case !isECR:
			if len(p.Policy.AllowedRegistries) > 0 && !allowed {
				at("image %s is not from an allowed registry; expected a prefix in policy.allowedRegistries: %s", image, strings.Join(p.Policy.AllowedRegistries, ", "))
			}
		case isCentral:
			if central.Holds(img) && centralRepos[img.Repository] {
				continue
			}
			if !allowed {
				at("ECR image %s is not in a repository the platform creates (%s, one per service) and its registry is not listed as external in policy.allowedRegistries", image, central.URL(awsnames.ECRRepository(p, "<service>")))
			}
		default:
			// Each environment's own ECR: the one image must be in the
			// registry of every environment the service runs in.
			if allowed {
				continue
			}
			for _, env := range p.EnvironmentList {
				if !svc.Enabled(env.Name) {
					continue
				}
				reg := awsnames.For(p, env).Registry()
				if reg.Holds(img) && reposOf(env.Name)[img.Repository] {
					continue
				}
				at("ECR image %s is not in a repository environment %q creates (%s, one per service, in its own account and region) and its registry is not listed as external in policy.allowedRegistries; set aws.registry to pull every environment's images from one ECR", image, env.Name, reg.URL(awsnames.ECRRepository(p, "<service>")))
				break
			}
		}
	}
}

func toSet(list []string) map[string]bool {
	out := make(map[string]bool, len(list))
	for _, s := range list {
		out[s] = true
	}
	return out
}
