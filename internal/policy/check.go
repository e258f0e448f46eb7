package policy

import (
	"context"
	"fmt"
	"path"
	"runtime"
	"slices"
	"strings"
	"sync"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/errors"

	"github.com/idpgen/idpgen/internal/diag"
	"github.com/idpgen/idpgen/internal/model"
	"github.com/idpgen/idpgen/internal/tree"
)

// Roots are the kustomizations of env that no other kustomization of env
// includes: together they build every object idpgen deploys there with
// Kustomize (the Helm charts of the add-ons are not rendered by idpgen).
func Roots(b *Builder, env string) ([]string, error) {
	prefix := path.Join("environments", env) + "/"
	var dirs []string
	for _, d := range b.kustomizationDirs() {
		if strings.HasPrefix(d, prefix) || d+"/" == prefix {
			dirs = append(dirs, d)
		}
	}
	included := map[string]bool{}
	for _, d := range dirs {
		k, err := b.Kustomization(d)
		if err != nil {
			return nil, err
		}
		for _, r := range k.Resources {
			included[path.Join(d, r)] = true
		}
	}
	var roots []string
	for _, d := range dirs {
		if !included[d] {
			roots = append(roots, d)
		}
	}
	slices.Sort(roots)
	return roots, nil
}

// EnvironmentObjects builds every root of env, in parallel.
func EnvironmentObjects(b *Builder, env string) ([]*Object, error) {
	roots, err := Roots(b, env)
	if err != nil {
		return nil, err
	}
	built := make([][]*Object, len(roots))
	errs := make([]error, len(roots))
	var next int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= len(roots) {
					return
				}
				built[i], errs[i] = b.Build(roots[i])
			}
		})
	}
	wg.Wait()
	var out []*Object
	for i := range roots {
		if errs[i] != nil {
			return nil, errs[i]
		}
		out = append(out, built[i]...)
	}
	return out, nil
}

// Check evaluates every environment's constraints against the objects of
// the rendered tree. A violation of a deny constraint is an error; of a
// warn or dryrun one, a warning. Both are located at the CUE of the
// service (or the environment) that produced the object.
func Check(ctx context.Context, p *model.Platform, t *tree.Tree) (warnings, err error) {
	templates := Templates(p)
	engine, terrs := Compile(templates)
	if terrs != nil {
		var errs errors.Error
		for _, te := range terrs {
			if te.Template.Custom != nil {
				errs = errors.Append(errs, diag.At(te.Template.Custom.Src, "rego", "%s", te.Error()))
			} else {
				errs = errors.Append(errs, diag.At(p.Src, "policy", "built-in %s (a bug in idpgen)", te.Error()))
			}
		}
		return nil, errs
	}
	constraints := map[string][]*Constraint{}
	var all []*Constraint
	for _, env := range p.EnvironmentList {
		constraints[env.Name] = Constraints(p, env, templates)
		all = append(all, constraints[env.Name]...)
	}
	b := NewBuilder(t)
	// The bases are shared by every environment: build what any
	// environment's constraints can see.
	b.Only(Evaluated(all))
	var errs, warns errors.Error
	for _, env := range p.EnvironmentList {
		objs, err := EnvironmentObjects(b, env.Name)
		if err != nil {
			return nil, fmt.Errorf("policy: environments.%s: %w", env.Name, err)
		}
		violations, err := engine.Evaluate(ctx, objs, constraints[env.Name])
		if err != nil {
			return nil, fmt.Errorf("policy: environments.%s: %w", env.Name, err)
		}
		for _, v := range violations {
			e := diag.At(source(p, env, v.Object), "", "[%s] %s: %s: %s%s", env.Name, v.Constraint.Template.Kind, v.Object.ID(), v.Message, actionNote(v.Constraint.Action))
			if v.Constraint.Action == Deny {
				errs = errors.Append(errs, e)
			} else {
				warns = errors.Append(warns, e)
			}
		}
	}
	if warns != nil {
		warnings = warns
	}
	if errs != nil {
		err = errs
	}
	return warnings, err
}

func actionNote(action string) string {
	if action == Deny {
		return ""
	}
	return " (" + action + ")"
}

// source is the CUE value an object comes from: the service whose base,
// overlay or secrets directory declares it, else the environment.
func source(p *model.Platform, env *model.Environment, o *Object) cue.Value {
	parts := strings.Split(o.Origin, "/")
	for i := 0; i+1 < len(parts); i++ {
		if parts[i] == "services" || parts[i] == "secrets" {
			if s := p.Services[parts[i+1]]; s != nil {
				return s.Src
			}
		}
	}
	return env.Src
}
