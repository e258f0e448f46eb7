package load

import (
	"maps"
	"os"
	"path/filepath"
	"slices"

	"cuelang.org/go/cue/errors"

	"github.com/idpgen/idpgen/internal/diag"
	"github.com/idpgen/idpgen/internal/model"
)

// readPolicies reads the Rego file of every custom policy (policy.custom),
// relative to the platform's directory. A file that cannot be read is an
// error at the policy's rego field. The Rego itself is compiled later,
// with the built-in policies (package policy).
func readPolicies(p *model.Platform, dir string) error {
	var errs errors.Error
	for _, kind := range slices.Sorted(maps.Keys(p.Policy.Custom)) {
		c := p.Policy.Custom[kind]
		file := filepath.Join(dir, filepath.FromSlash(c.Rego))
		rel, err := filepath.Rel(dir, file)
		if err != nil || !filepath.IsLocal(rel) {
			errs = errors.Append(errs, diag.At(c.Src, "rego", "%s is outside the platform's directory", c.Rego))
			continue
		}
		data, err := os.ReadFile(file)
		if err != nil {
			if pe, ok := err.(*os.PathError); ok {
				err = pe.Err
			}
			errs = errors.Append(errs, diag.At(c.Src, "rego", "reading %s: %v", c.Rego, err))
			continue
		}
		c.Source = string(data)
	}
	if errs == nil {
		return nil
	}
	return errs
}
