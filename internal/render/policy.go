package render

import (
	"context"

	"github.com/idpgen/idpgen/internal/model"
	"github.com/idpgen/idpgen/internal/policy"
	"github.com/idpgen/idpgen/internal/tree"
)

// Policies evaluates the platform's Gatekeeper constraints against the
// rendered tree with OPA (package policy): violations of deny constraints
// are err, of warn and dryrun ones warnings, both located in the CUE.
// render and vet run it; render --check does not (see internal/cli).
func Policies(p *model.Platform, t *tree.Tree) (warnings, err error) {
	return policy.Check(context.Background(), p, t)
}
