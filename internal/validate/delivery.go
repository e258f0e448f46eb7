package validate

import (
	"regexp"
	"strings"

	"cuelang.org/go/cue/errors"

	"github.com/idpgen/idpgen/internal/diag"
	"github.com/idpgen/idpgen/internal/model"
)

// githubURL matches the GitHub clone URLs of a repository, in its https,
// ssh:// and scp-like forms.
var githubURL = regexp.MustCompile(`^(?:https://|ssh://git@|git@)github\.com[/:]([^/\s]+/[^/\s]+?)(?:\.git)?/?$`)

// delivery checks that the generated CI deploys what Argo CD deploys: the
// same branch, and, when repo.url is on GitHub, the same repository.
func delivery(p *model.Platform, add func(errors.Error)) {
	gh := p.Delivery.GitHub
	if gh == nil {
		return
	}
	if gh.Branch != p.Repo.Revision {
		add(diag.At(p.Src, "delivery.github.branch", "the workflows would apply branch %q, but Argo CD tracks repo.revision %q: Terraform and Kubernetes must deploy the same commits; set both to the same branch", gh.Branch, p.Repo.Revision))
	}
	if m := githubURL.FindStringSubmatch(p.Repo.URL); m != nil && !strings.EqualFold(m[1], gh.Repository) {
		add(diag.At(p.Src, "delivery.github.repository", "repository %q is not the one repo.url names (%s): the CI roles would trust the workflows of another repository than the one Argo CD deploys from", gh.Repository, m[1]))
	}
}
