package addons

import (
	"fmt"
	"slices"
	"strings"

	"cuelang.org/go/cue/errors"

	"github.com/idpgen/idpgen/internal/diag"
	"github.com/idpgen/idpgen/internal/helmcheck"
	"github.com/idpgen/idpgen/internal/model"
	"github.com/idpgen/idpgen/internal/tree"
)

// Verify checks every values file with Helm: against the chart's
// values.schema.json, and by rendering the chart for the environment's
// Kubernetes version. A chart that is not on disk is not checked, and a
// note says so (never a silent pass). Problems are reported on the add-on
// in CUE.
func (e *Emitter) Verify(p *model.Platform, t *tree.Tree) (notes []string, err error) {
	var errs errors.Error
	var missing []string
	checked := 0
	for _, env := range p.EnvironmentList {
		for _, r := range Releases(p, env) {
			// The add-on in CUE; diag does the lookup (cue.Value is not
			// safe for concurrent use, and verifiers run concurrently).
			at := diag.Sel("addons", r.Addon.Key)
			f, ok := t.Get(r.ValuesPath)
			if !ok {
				errs = errors.Append(errs, diag.AtPath(p.Src, at, "environment %s: values file %s was not rendered", env.Name, r.ValuesPath))
				continue
			}
			chartPath, ok := e.Charts.Find(r.Chart, r.Version)
			if !ok {
				missing = append(missing, r.Chart+" "+r.Version)
				continue
			}
			checked++
			if _, err := helmcheck.Check(helmcheck.Input{
				ChartPath: chartPath, Values: f.Data, Release: r.Name, Namespace: r.Namespace, KubeVersion: env.Kubernetes.Version,
			}); err != nil {
				errs = errors.Append(errs, diag.AtPath(p.Src, at, "environment %s: chart %s %s rejects %s: %v", env.Name, r.Chart, r.Version, r.ValuesPath, err))
			}
		}
	}
	slices.Sort(missing)
	missing = slices.Compact(missing)
	if len(missing) > 0 {
		notes = append(notes, fmt.Sprintf("helm: %d chart(s) not checked, not found in %s (run `idpgen charts pull`): %s",
			len(missing), strings.Join(e.Charts.SearchPath(), " or "), strings.Join(missing, ", ")))
	}
	if checked > 0 {
		notes = append(notes, fmt.Sprintf("helm: %d values file(s) validated against their chart's schema and rendered", checked))
	}
	if errs != nil {
		return notes, errs
	}
	return notes, nil
}
