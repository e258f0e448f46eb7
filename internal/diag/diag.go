// Package diag carries user-facing errors about a platform. Errors from CUE
// and errors from checks done in Go share one type (cue/errors.Error) so
// both print the same way: file:line:col, the value's path, the message.
package diag

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/token"
)

// posError is an error found by a Go-side check, located on a CUE value.
type posError struct {
	pos  token.Pos
	also []token.Pos
	path []string
	msg  string
}

func (e *posError) Position() token.Pos         { return e.pos }
func (e *posError) InputPositions() []token.Pos { return e.also }
func (e *posError) Error() string               { return e.msg }
func (e *posError) Path() []string              { return e.path }
func (e *posError) Msg() (string, []any)        { return "%s", []any{e.msg} }

// At reports a problem with the value v (or, with sel, with the field sel
// below it, such as "autoscaling.minReplicas"). When the field is absent the
// error points at the closest value that exists.
func At(v cue.Value, sel string, format string, args ...any) errors.Error {
	target := v
	path := pathOf(v)
	if sel != "" {
		for _, s := range cue.ParsePath(sel).Selectors() {
			path = append(path, selectorString(s))
		}
		// Point at the deepest part of sel that exists: an override that
		// leaves a field unset is still the override's fault.
		sels := cue.ParsePath(sel).Selectors()
		for n := len(sels); n > 0; n-- {
			if t := v.LookupPath(cue.MakePath(sels[:n]...)); t.Exists() {
				target = t
				break
			}
		}
	}
	return &posError{pos: SourcePos(target), path: path, msg: fmt.Sprintf(format, args...)}
}

// SourcePos is where the user wrote v. Value.Pos reports the last conjunct,
// which for a struct is often the schema's pattern constraint; the user's own
// conjunct comes first in a unification.
func SourcePos(v cue.Value) token.Pos {
	if op, args := v.Expr(); op == cue.AndOp {
		for _, a := range args {
			if p := a.Pos(); p.IsValid() {
				return p
			}
		}
	}
	return v.Pos()
}

// Also adds positions of other values that take part in the error, such as
// the first declaration of a duplicate.
func Also(err errors.Error, vs ...token.Pos) errors.Error {
	if e, ok := err.(*posError); ok {
		e.also = append(e.also, vs...)
	}
	return err
}

// New reports a problem at a source position with an explicit path.
func New(pos token.Pos, path []string, format string, args ...any) errors.Error {
	return &posError{pos: pos, path: path, msg: fmt.Sprintf(format, args...)}
}

// pathOf is v's path in the form CUE's own errors use: list indexes as
// plain numbers (services.api.dependsOn.0).
func pathOf(v cue.Value) []string {
	var out []string
	for _, s := range v.Path().Selectors() {
		out = append(out, selectorString(s))
	}
	return out
}

func selectorString(s cue.Selector) string {
	if s.Type() == cue.StringLabel {
		return s.Unquoted()
	}
	return s.String()
}

// Format is how errors are printed.
type Format string

const (
	Text   Format = "text"
	GitHub Format = "github" // workflow commands: annotations on the PR's lines
)

// Entry is one printable problem.
type Entry struct {
	File      string // relative to the working directory when possible
	Line, Col int
	Path      string
	Message   string
	Also      []string // other positions, "file:line:col"
}

// Entries flattens err (a cue/errors list or any error) into sorted,
// de-duplicated entries.
func Entries(err error) []Entry {
	wd, _ := os.Getwd()
	var out []Entry
	for _, e := range errors.Errors(err) {
		ent := Entry{Path: strings.Join(e.Path(), ".")}
		f, a := e.Msg()
		ent.Message = fmt.Sprintf(f, a...)
		if p := e.Position(); p.IsValid() {
			ent.File, ent.Line, ent.Col = rel(wd, p.Filename()), p.Line(), p.Column()
		}
		for _, p := range e.InputPositions() {
			if !p.IsValid() || p == e.Position() {
				continue
			}
			if ent.File == "" {
				ent.File, ent.Line, ent.Col = rel(wd, p.Filename()), p.Line(), p.Column()
				continue
			}
			s := fmt.Sprintf("%s:%d:%d", rel(wd, p.Filename()), p.Line(), p.Column())
			if !slices.Contains(ent.Also, s) && s != fmt.Sprintf("%s:%d:%d", ent.File, ent.Line, ent.Col) {
				ent.Also = append(ent.Also, s)
			}
		}
		slices.Sort(ent.Also)
		out = append(out, ent)
	}
	slices.SortFunc(out, func(a, b Entry) int {
		return strings.Compare(a.key(), b.key())
	})
	return slices.CompactFunc(out, func(a, b Entry) bool { return a.key() == b.key() })
}

func (e Entry) key() string {
	return fmt.Sprintf("%s\x00%08d\x00%08d\x00%s\x00%s", e.File, e.Line, e.Col, e.Path, e.Message)
}

func rel(wd, file string) string {
	if wd == "" || !filepath.IsAbs(file) {
		return file
	}
	if r, err := filepath.Rel(wd, file); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return file
}

// String renders the entry as "file:line:col: path: message".
func (e Entry) String() string {
	var b strings.Builder
	if e.File != "" {
		fmt.Fprintf(&b, "%s:%d:%d: ", e.File, e.Line, e.Col)
	}
	if e.Path != "" {
		b.WriteString(e.Path + ": ")
	}
	b.WriteString(e.Message)
	for _, a := range e.Also {
		b.WriteString("\n    see also " + a)
	}
	return b.String()
}

// Print writes every problem in err to w, one per line (text) or as GitHub
// workflow annotations, followed by a count.
func Print(w io.Writer, err error, format Format) {
	entries := Entries(err)
	for _, e := range entries {
		if format == GitHub {
			fmt.Fprintln(w, annotation(e))
			continue
		}
		fmt.Fprintln(w, e.String())
	}
	if format != GitHub && len(entries) > 1 {
		fmt.Fprintf(w, "%d errors\n", len(entries))
	}
}

// annotation renders an ::error workflow command. Property values and the
// message are escaped as the Actions toolkit does.
func annotation(e Entry) string {
	props := []string{}
	if e.File != "" {
		props = append(props, "file="+escapeProp(filepath.ToSlash(e.File)),
			fmt.Sprintf("line=%d", e.Line), fmt.Sprintf("col=%d", e.Col))
	}
	title := "idpgen"
	if e.Path != "" {
		title += ": " + e.Path
	}
	props = append(props, "title="+escapeProp(title))
	msg := e.Message
	if e.Path != "" {
		msg = e.Path + ": " + msg
	}
	for _, a := range e.Also {
		msg += "\nsee also " + a
	}
	return "::error " + strings.Join(props, ",") + "::" + escapeData(msg)
}

func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func escapeProp(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
