package load

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/build"
	"cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/token"

	"github.com/idpgen/idpgen/internal/diag"
	"github.com/idpgen/idpgen/internal/suggest"
)

// focuser rewrites CUE's evaluation errors for the person who wrote the
// platform: each error points at the line they wrote (the schema constraint
// becomes a "see also"), and a failed disjunction (an enum, or a value with
// a default) becomes one error saying what was expected instead of one line
// per alternative.
type focuser struct {
	root      cue.Value
	schemaDir string
	noise     map[token.Pos]bool // the `schemas.#Platform` embedding lines
}

func newFocuser(inst *build.Instance, root cue.Value) *focuser {
	f := &focuser{root: root, noise: map[token.Pos]bool{}}
	for _, imp := range inst.Imports {
		if imp.ImportPath == SchemaImportPath {
			f.schemaDir = imp.Dir + string(filepath.Separator)
		}
	}
	for _, file := range inst.Files {
		for _, d := range file.Decls {
			if e, ok := d.(*ast.EmbedDecl); ok {
				f.noise[e.Pos()] = true
			}
		}
	}
	return f
}

func (f *focuser) inSchema(p token.Pos) bool {
	return f.schemaDir != "" && strings.HasPrefix(p.Filename(), f.schemaDir)
}

const (
	disjunctionHeader = "errors in empty disjunction"
	conflictFormat    = "conflicting values %s and %s"
)

func (f *focuser) focus(err error) error {
	type group struct {
		path string
		errs []errors.Error
		disj bool
	}
	var groups []*group
	byPath := map[string]*group{}
	for _, e := range errors.Errors(err) {
		key := strings.Join(e.Path(), ".")
		g := byPath[key]
		if g == nil {
			g = &group{path: key}
			byPath[key] = g
			groups = append(groups, g)
		}
		if format, _ := e.Msg(); strings.Contains(format, disjunctionHeader) {
			g.disj = true
			continue
		}
		g.errs = append(g.errs, e)
	}
	var out errors.Error
	for _, g := range groups {
		errs := g.errs
		if g.disj {
			errs = f.collapse(errs)
		}
		for _, e := range errs {
			out = errors.Append(out, f.reposition(e))
		}
	}
	return out
}

// collapse keeps the errors that say why the user's value failed a
// constraint. When every alternative failed only by being a different
// value, they become one "expected one of" error.
func (f *focuser) collapse(errs []errors.Error) []errors.Error {
	var real, conflicts []errors.Error
	for _, e := range errs {
		if format, _ := e.Msg(); format == conflictFormat {
			conflicts = append(conflicts, e)
		} else {
			real = append(real, e)
		}
	}
	if len(real) > 0 || len(conflicts) == 0 {
		return real
	}
	// The user's value is the one every conflict shares.
	count := map[string]int{}
	var order []string
	for _, e := range conflicts {
		_, args := e.Msg()
		for _, a := range args {
			s := fmt.Sprint(a)
			if count[s] == 0 {
				order = append(order, s)
			}
			count[s]++
		}
	}
	got := ""
	for _, s := range order {
		if count[s] == len(conflicts) {
			got = s
		}
	}
	expected := slices.DeleteFunc(slices.Clone(order), func(s string) bool { return s == got })
	e := conflicts[0]
	msg := fmt.Sprintf("invalid value %s: expected one of %s", got, strings.Join(expected, ", "))
	var positions []token.Pos
	for _, c := range conflicts {
		positions = append(positions, c.InputPositions()...)
	}
	return []errors.Error{diag.Also(diag.New(e.Position(), e.Path(), "%s", msg), positions...)}
}

// reposition makes the user's own line the primary position.
func (f *focuser) reposition(e errors.Error) errors.Error {
	all := append([]token.Pos{e.Position()}, e.InputPositions()...)
	var user []token.Pos
	var constraint token.Pos
	for _, p := range all {
		switch {
		case !p.IsValid() || f.noise[p] || slices.Contains(user, p):
		case f.inSchema(p):
			if !constraint.IsValid() {
				constraint = p
			}
		default:
			user = append(user, p)
		}
	}
	if len(user) == 0 {
		// The value came from the schema alone (e.g. a pattern binding the
		// key as the name): point at the closest enclosing value the user
		// wrote.
		if p := f.enclosing(e.Path()); p.IsValid() {
			user = append(user, p)
		}
	}
	if len(user) == 0 {
		return e
	}
	also := user[1:]
	if constraint.IsValid() {
		also = append(also, constraint)
	}
	format, args := e.Msg()
	switch format {
	case "incomplete value %v":
		// A required field nobody set: say so in the user's terms.
		format = "no value given; expected %v"
	case "field not allowed":
		if path := e.Path(); len(path) > 0 {
			if s := suggest.Closest(path[len(path)-1], modelFieldsAt(path[:len(path)-1])); s != "" {
				format, args = "field not allowed; did you mean %q?", []any{s}
			}
		}
	}
	return diag.Also(diag.New(user[0], e.Path(), format, shorten(args)...), also...)
}

// maxArg is how much of a value an error quotes: a 1 MiB description is
// wrong because of its length, which the error says, not its content.
const maxArg = 200

func shorten(args []any) []any {
	out := slices.Clone(args)
	for i, a := range out {
		s := fmt.Sprint(a)
		if len(s) <= maxArg {
			continue
		}
		cut := maxArg
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		out[i] = fmt.Sprintf("%s… (%d bytes)", s[:cut], len(s))
	}
	return out
}

func (f *focuser) enclosing(path []string) token.Pos {
	for n := len(path); n > 0; n-- {
		sels := make([]cue.Selector, n)
		for i, s := range path[:n] {
			sels[i] = cue.Str(s)
		}
		v := f.root.LookupPath(cue.MakePath(sels...))
		if !v.Exists() {
			continue
		}
		if p := diag.SourcePos(v); p.IsValid() && !f.inSchema(p) && !f.noise[p] {
			return p
		}
	}
	// Nothing below the root was written by the user: the embedding of
	// schemas.#Platform is where the platform starts.
	for p := range f.noise {
		return p
	}
	return token.NoPos
}
