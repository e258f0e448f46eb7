// Package load evaluates a platform's CUE package, once, and decodes it into
// the typed model. Every error it returns is a cue/errors list carrying
// positions, so the CLI can print them all at once.
package load

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/build"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/load"
	"cuelang.org/go/cue/token"

	"github.com/idpgen/idpgen/internal/diag"
	"github.com/idpgen/idpgen/internal/model"
)

// SchemaImportPath is the CUE package every platform must embed #Platform from.
const SchemaImportPath = "github.com/idpgen/idpgen/schemas"

// Platform loads the CUE package in dir (relative to the working directory
// or absolute), validates it against the schema and returns the typed
// model. When the CUE has errors only in some services, it returns them
// together with a partial model (those services marked Invalid) on which
// the cross checks can still run; such a model is never to be rendered.
func Platform(dir string) (*model.Platform, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if err := checkFiles(abs); err != nil {
		return nil, err
	}
	// Loading "." from the platform's directory finds the CUE module above
	// it, wherever the command runs from.
	insts := load.Instances([]string{"."}, &load.Config{Dir: abs})
	if len(insts) != 1 {
		return nil, fmt.Errorf("loading %s: expected one CUE package, got %d", dir, len(insts))
	}
	inst := insts[0]
	if inst.Err != nil {
		return nil, inst.Err
	}
	if err := excludedFiles(inst); err != nil {
		return nil, err
	}
	if err := checkEmbedsSchema(inst); err != nil {
		return nil, err
	}
	// Duplicate declarations are found on the syntax, before evaluation:
	// CUE would silently unify two files' "services: x" into one service.
	dupErr := duplicateDeclarations(inst.Files)

	v := cuecontext.New().BuildInstance(inst)
	if err := v.Validate(cue.Concrete(true)); err != nil {
		focused := errors.Promote(newFocuser(inst, v).focus(err), "validate")
		reported := map[string]bool{}
		for _, e := range errors.Errors(focused) {
			reported[strings.Join(e.Path(), ".")] = true
		}
		err = errors.Append(errors.Append(dupErr, focused), unknownFields(v, reported))
		// Still hand back what decodes, so the cross checks can report in
		// the same run; callers must not render it.
		return partial(v), err
	}
	if unknown := unknownFields(v, nil); unknown != nil {
		return partial(v), errors.Append(dupErr, unknown)
	}
	if dupErr != nil {
		return nil, dupErr
	}
	p, err := decode(v)
	if err != nil {
		return nil, err
	}
	p.Dir = moduleRelative(inst)
	return p, readPolicies(p, abs)
}

func checkEmbedsSchema(inst *build.Instance) error {
	if slices.Contains(inst.ImportPaths, SchemaImportPath) {
		return nil
	}
	pos := token.NoPos
	if len(inst.Files) > 0 {
		pos = inst.Files[0].Pos()
	}
	return diag.New(pos, nil, "package %s does not import %q: embed schemas.#Platform so that every field is checked", inst.PkgName, SchemaImportPath)
}

// collections whose entries must be declared in exactly one file.
var collections = []string{"services", "teams", "environments"}

func duplicateDeclarations(files []*ast.File) errors.Error {
	type decl struct {
		file string
		pos  token.Pos
	}
	var errs errors.Error
	for _, coll := range collections {
		seen := map[string]decl{}
		for _, f := range files {
			for _, name := range declaredIn(f, coll) {
				prev, dup := seen[name.name]
				if !dup {
					seen[name.name] = decl{f.Filename, name.pos}
					continue
				}
				if prev.file == f.Filename {
					continue // the same file may split a declaration
				}
				errs = errors.Append(errs, diag.Also(
					diag.New(name.pos, []string{coll, name.name}, "%s %q is declared in two files; each %s belongs in exactly one file", singular(coll), name.name, singular(coll)),
					prev.pos))
			}
		}
	}
	return errs
}

func singular(coll string) string { return coll[:len(coll)-1] }

type namePos struct {
	name string
	pos  token.Pos
}

// declaredIn lists the names declared directly under the top-level field coll
// of one file: both "services: x: {...}" and "services: {x: ...}".
func declaredIn(f *ast.File, coll string) []namePos {
	var out []namePos
	for _, d := range f.Decls {
		field, ok := d.(*ast.Field)
		if !ok {
			continue
		}
		if name, _, _ := ast.LabelName(field.Label); name != coll {
			continue
		}
		st, ok := field.Value.(*ast.StructLit)
		if !ok {
			continue
		}
		for _, e := range st.Elts {
			inner, ok := e.(*ast.Field)
			if !ok {
				continue
			}
			if name, isIdent, err := ast.LabelName(inner.Label); err == nil && (isIdent || name != "") {
				out = append(out, namePos{name, inner.Label.Pos()})
			}
		}
	}
	return out
}

func decode(v cue.Value) (*model.Platform, error) {
	// Through JSON rather than Value.Decode, which builds an evaluation
	// context for every struct it visits: at 10,000 services it was 60% of
	// a run. Both match field names without regard to case: exact names
	// are enforced by CUE's closed definitions and unknownFields.
	data, err := exportJSON(v)
	if err != nil {
		return nil, err
	}
	var p model.Platform
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, err
	}
	p.Src = v
	setSources(&p, v)
	for name, s := range p.Services {
		s.Src = v.LookupPath(cue.MakePath(cue.Str("services"), cue.Str(name)))
	}
	p.Index()
	return &p, nil
}

// setSources keeps each team's and environment's CUE value for positions.
func setSources(p *model.Platform, v cue.Value) {
	for name, t := range p.Teams {
		t.Src = v.LookupPath(cue.MakePath(cue.Str("teams"), cue.Str(name)))
	}
	for name, e := range p.Environments {
		e.Src = v.LookupPath(cue.MakePath(cue.Str("environments"), cue.Str(name)))
	}
	for kind, c := range p.Policy.Custom {
		c.Src = v.LookupPath(cue.MakePath(cue.Str("policy"), cue.Str("custom"), cue.Str(kind)))
	}
}

// moduleRelative is the package's directory relative to its CUE module's
// root, slash-separated.
func moduleRelative(inst *build.Instance) string {
	if inst.Root == "" {
		return "."
	}
	rel, err := filepath.Rel(inst.Root, inst.Dir)
	if err != nil {
		return "."
	}
	return filepath.ToSlash(rel)
}
