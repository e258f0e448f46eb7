// Package diag carries user-facing errors about a platform. Errors from CUE
// and errors from checks done in Go share one type (cue/errors.Error) so
// both print the same way: file:line:col, the value's path, the message.
package diag

import (
	stderrors "errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

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

// At reports a problem with the value v or, with sel, with the value below
// it that sel names in CUE path syntax, such as "autoscaling.minReplicas"
// or "ports[0].name". sel is written in the code: a label that comes from
// the user's data (an environment, a variable) is never spliced into it,
// because a label such as prod-use1 is not an identifier; use AtPath and
// Sel, which take labels verbatim. When the value is absent the error
// points at the closest value that exists.
func At(v cue.Value, sel string, format string, args ...any) errors.Error {
	if sel == "" {
		return AtPath(v, cue.Path{}, format, args...)
	}
	p := cue.ParsePath(sel)
	if p.Err() != nil {
		// A mistake in the code, not in the platform: still report the
		// problem, with sel as written, rather than lose it.
		cueMu.Lock()
		defer cueMu.Unlock()
		return &posError{pos: sourcePos(v), path: append(pathOf(v), sel), msg: fmt.Sprintf(format, args...)}
	}
	return AtPath(v, p, format, args...)
}

// AtPath reports a problem with the value at sel below v (see Sel). Its
// path is printed the way CUE prints its own: labels that are not
// identifiers quoted (services.api.overrides."prod-use1"), list indexes as
// plain numbers.
func AtPath(v cue.Value, sel cue.Path, format string, args ...any) errors.Error {
	cueMu.Lock()
	defer cueMu.Unlock()
	target := v
	path := pathOf(v)
	sels := sel.Selectors()
	for _, s := range sels {
		path = append(path, selectorString(s))
	}
	// Point at the deepest part of sel that exists: an override that
	// leaves a field unset is still the override's fault.
	for n := len(sels); n > 0; n-- {
		if t := v.LookupPath(cue.MakePath(sels[:n]...)); t.Exists() {
			target = t
			break
		}
	}
	return &posError{pos: sourcePos(target), path: path, msg: fmt.Sprintf(format, args...)}
}

// cueMu serialises diag's reads of CUE values: cue.Value is not safe for
// concurrent use (a lookup may finish evaluating a value), and the
// verifiers run concurrently and report through diag.
var cueMu sync.Mutex

// Sel builds a path from its parts, none of them parsed: a string is one
// label (any label, "prod-use1" included), an int a list index, a
// cue.Selector itself and a cue.Path its selectors.
func Sel(parts ...any) cue.Path {
	var sels []cue.Selector
	for _, p := range parts {
		switch x := p.(type) {
		case string:
			sels = append(sels, cue.Str(x))
		case int:
			sels = append(sels, cue.Index(x))
		case cue.Selector:
			sels = append(sels, x)
		case cue.Path:
			sels = append(sels, x.Selectors()...)
		default:
			panic(fmt.Sprintf("diag.Sel: unsupported part %T", p))
		}
	}
	return cue.MakePath(sels...)
}

// Label is a label as it appears in a printed path: quoted when it is not
// an identifier, as CUE does ("prod-use1", but api).
func Label(s string) string { return cue.Str(s).String() }

// SourcePos is where the user wrote v. Value.Pos reports the last conjunct,
// which for a struct is often the schema's pattern constraint; the user's own
// conjunct comes first in a unification.
func SourcePos(v cue.Value) token.Pos {
	cueMu.Lock()
	defer cueMu.Unlock()
	return sourcePos(v)
}

func sourcePos(v cue.Value) token.Pos {
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

// New reports a problem at a source position with an explicit path, each
// element as CUE prints it (see Label).
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

// selectorString prints a selector as CUE's errors do: a string label
// quoted only when it is not an identifier, without the marks of an
// optional or required field.
func selectorString(s cue.Selector) string {
	if s.LabelType() == cue.StringLabel && s.ConstraintType() < cue.PatternConstraint {
		return Label(s.Unquoted())
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

	sortKey string
}

// Entries flattens err into sorted, de-duplicated entries. Any error is
// accepted: a cue/errors list, an errors.Join of several (each part is
// kept), an error wrapped with fmt.Errorf, or a plain one. Every entry has a
// message: when an error has none of its own (cue/errors.Promote of a plain
// error, for one), its Error() text is used.
func Entries(err error) []Entry {
	wd, _ := os.Getwd()
	var out []Entry
	for _, e := range flatten(err, "", nil) {
		ent := Entry{Path: strings.Join(e.err.Path(), "."), Message: e.prefix + message(e.err)}
		if p := e.err.Position(); p.IsValid() {
			ent.File, ent.Line, ent.Col = rel(wd, p.Filename()), p.Line(), p.Column()
		}
		for _, p := range e.err.InputPositions() {
			if !p.IsValid() || p == e.err.Position() {
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
		ent.sortKey = ent.key()
		out = append(out, ent)
	}
	slices.SortFunc(out, func(a, b Entry) int { return strings.Compare(a.sortKey, b.sortKey) })
	return slices.CompactFunc(out, func(a, b Entry) bool { return a.sortKey == b.sortKey })
}

// located is one error of a tree of errors, with the text the errors
// wrapping it put in front.
type located struct {
	prefix string
	err    errors.Error
}

// flatten walks err. cue/errors.Errors alone is not enough: of an
// errors.Join it keeps only the first cue/errors list it finds and drops
// the rest, and it turns a plain error into one with an empty message.
func flatten(err error, prefix string, out []located) []located {
	switch x := err.(type) {
	case nil:
		return out
	case errors.Error:
		for _, e := range errors.Errors(x) {
			out = append(out, located{prefix, e})
		}
		return out
	case interface{ Unwrap() []error }:
		for _, e := range x.Unwrap() {
			out = flatten(e, prefix, out)
		}
		return out
	}
	// A plain error, or one wrapped with fmt.Errorf("context: %w", inner):
	// when inner (or something it wraps) is located, keep its positions and
	// put the context in front of each of its messages.
	if inner := stderrors.Unwrap(err); inner != nil {
		full, rest := err.Error(), inner.Error()
		if strings.HasSuffix(full, rest) {
			return flatten(inner, prefix+strings.TrimSuffix(full, rest), out)
		}
	}
	msg := err.Error()
	if msg == "" {
		msg = fmt.Sprintf("an error without a message (%T); please report it", err)
	}
	return append(out, located{prefix, &posError{msg: msg}})
}

// message is e's message, never empty.
func message(e errors.Error) string {
	f, a := e.Msg()
	msg := fmt.Sprintf(f, a...)
	// cue/errors.Wrap keeps the wrapped error's text out of Msg.
	if inner := stderrors.Unwrap(e); inner != nil {
		if s := inner.Error(); s != "" && !strings.Contains(msg, s) {
			if msg != "" {
				msg += ": "
			}
			msg += s
		}
	}
	if msg == "" {
		msg = e.Error()
	}
	if msg == "" {
		msg = fmt.Sprintf("an error without a message (%T); please report it", e)
	}
	return msg
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

// MaxPrinted is how many problems Print lists; the rest are counted. A
// platform with thousands of errors has one mistake repeated, and a
// terminal or a pull request of thousands of lines helps nobody.
const MaxPrinted = 100

// Print writes the problems in err to w, one per line (text) or as GitHub
// workflow annotations: the first MaxPrinted in order of position, then how
// many more there are, and a count.
func Print(w io.Writer, err error, format Format) {
	entries := Entries(err)
	shown := entries[:min(len(entries), MaxPrinted)]
	for _, e := range shown {
		if format == GitHub {
			fmt.Fprintln(w, annotation(e))
			continue
		}
		fmt.Fprintln(w, e.String())
	}
	if more := len(entries) - len(shown); more > 0 {
		msg := fmt.Sprintf("and %d more errors (%d in all)", more, len(entries))
		if format == GitHub {
			fmt.Fprintln(w, "::error title=idpgen::"+escapeData(msg))
		} else {
			fmt.Fprintln(w, msg)
		}
		return
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

// RelPath is file relative to the working directory when it is below it,
// as entries print it.
func RelPath(file string) string {
	wd, _ := os.Getwd()
	return rel(wd, file)
}
