package policy

import (
	"cmp"
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
)

// Engine holds every template's Rego, compiled once.
type Engine struct {
	compiler  *ast.Compiler
	templates []*Template
}

// TemplateError is a template whose Rego does not compile.
type TemplateError struct {
	Template *Template
	Err      error
}

func (e *TemplateError) Error() string {
	return fmt.Sprintf("ConstraintTemplate %s: %v", e.Template.Kind, e.Err)
}

// moduleName is the file name OPA reports the template's errors with.
func moduleName(t *Template) string {
	if t.Custom != nil {
		return t.Custom.Rego
	}
	return t.Name() + ".rego"
}

// Compile parses and compiles every template's Rego (v1, as Gatekeeper
// does with source.version "v1"). Each template must be package
// <kind in lower case> and define violation; errors name the template.
func Compile(templates []*Template) (*Engine, []*TemplateError) {
	var errs []*TemplateError
	modules := map[string]*ast.Module{}
	byFile := map[string]*Template{}
	for _, t := range templates {
		name := moduleName(t)
		byFile[name] = t
		m, err := ast.ParseModuleWithOpts(name, t.Rego, ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			errs = append(errs, &TemplateError{t, err})
			continue
		}
		want := ast.Ref{ast.DefaultRootDocument, ast.StringTerm(t.Name())}
		if !m.Package.Path.Equal(want) {
			errs = append(errs, &TemplateError{t, fmt.Errorf("%s: the package must be %s (the kind in lower case), not %s", name, t.Name(), strings.TrimPrefix(m.Package.Path.String(), "data."))})
			continue
		}
		if !slices.ContainsFunc(m.Rules, func(r *ast.Rule) bool { return r.Head.Name == "violation" || r.Head.Ref().String() == "violation" }) {
			errs = append(errs, &TemplateError{t, fmt.Errorf("%s: no violation rule: Gatekeeper reports what `violation contains {\"msg\": msg} if {...}` yields", name)})
			continue
		}
		modules[name] = m
	}
	if len(errs) > 0 {
		return nil, errs
	}
	c := ast.NewCompiler()
	c.Compile(modules)
	if c.Failed() {
		perTemplate := map[*Template][]string{}
		for _, e := range c.Errors {
			t := templates[0]
			if e.Location != nil && byFile[e.Location.File] != nil {
				t = byFile[e.Location.File]
			}
			perTemplate[t] = append(perTemplate[t], e.Error())
		}
		for _, t := range templates {
			if msgs := perTemplate[t]; len(msgs) > 0 {
				errs = append(errs, &TemplateError{t, fmt.Errorf("%s", strings.Join(msgs, "; "))})
			}
		}
		return nil, errs
	}
	return &Engine{compiler: c, templates: templates}, nil
}

// Violation is one object a constraint rejects.
type Violation struct {
	Constraint *Constraint
	Object     *Object
	Message    string
}

// Evaluate runs every constraint against every object it matches, in
// Gatekeeper's input shape, in parallel across GOMAXPROCS. inventory
// objects (the kinds SyncedKinds lists) are data.inventory. Violations
// come back sorted by object, then constraint.
func (e *Engine) Evaluate(ctx context.Context, objs []*Object, constraints []*Constraint) ([]Violation, error) {
	store := inmem.NewFromObjectWithOpts(map[string]any{"inventory": inventory(objs)}, inmem.OptRoundTripOnWrite(false))
	type prepared struct {
		c      *Constraint
		query  rego.PreparedEvalQuery
		params *ast.Term
	}
	var preps []prepared
	queries := map[*Template]rego.PreparedEvalQuery{}
	for _, c := range constraints {
		q, ok := queries[c.Template]
		if !ok {
			var err error
			q, err = rego.New(rego.Compiler(e.compiler), rego.Store(store),
				rego.Query("data."+c.Template.Name()+".violation")).PrepareForEval(ctx)
			if err != nil {
				return nil, &TemplateError{c.Template, err}
			}
			queries[c.Template] = q
		}
		params, err := ast.InterfaceToValue(c.Parameters)
		if err != nil {
			return nil, fmt.Errorf("constraint %s: parameters: %w", c.Template.Kind, err)
		}
		preps = append(preps, prepared{c, q, ast.NewTerm(params)})
	}

	if len(objs) == 0 {
		return nil, nil
	}
	results := make([][]Violation, len(objs))
	errs := make([]error, len(objs))
	var next int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			// One read transaction per worker, not one per evaluation.
			txn, err := store.NewTransaction(ctx)
			if err != nil {
				mu.Lock()
				errs[0] = err
				mu.Unlock()
				return
			}
			defer store.Abort(ctx, txn)
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= len(objs) {
					return
				}
				o := objs[i]
				var review *ast.Term
				for _, p := range preps {
					if !Matches(&p.c.Match, o) {
						continue
					}
					if review == nil {
						r, err := reviewOf(o)
						if err != nil {
							errs[i] = err
							break
						}
						review = r
					}
					input := ast.NewObject([2]*ast.Term{ast.StringTerm("review"), review}, [2]*ast.Term{ast.StringTerm("parameters"), p.params})
					rs, err := p.query.Eval(ctx, rego.EvalParsedInput(input), rego.EvalTransaction(txn))
					if err != nil {
						errs[i] = fmt.Errorf("%s: constraint %s: %w", o.ID(), p.c.Template.Kind, err)
						break
					}
					for _, msg := range messages(rs) {
						results[i] = append(results[i], Violation{Constraint: p.c, Object: o, Message: msg})
					}
				}
			}
		})
	}
	wg.Wait()
	var out []Violation
	for i := range objs {
		if errs[i] != nil {
			return nil, errs[i]
		}
		out = append(out, results[i]...)
	}
	slices.SortStableFunc(out, func(a, b Violation) int {
		return cmp.Or(cmp.Compare(a.Object.ID(), b.Object.ID()), cmp.Compare(a.Constraint.Template.Kind, b.Constraint.Template.Kind), cmp.Compare(a.Message, b.Message))
	})
	return out, nil
}

// reviewOf is input.review: the admission request Gatekeeper builds for
// creating the object.
func reviewOf(o *Object) (*ast.Term, error) {
	obj, err := ast.InterfaceToValue(o.Obj)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", o.ID(), err)
	}
	kind := ast.NewObject(
		[2]*ast.Term{ast.StringTerm("group"), ast.StringTerm(o.Group)},
		[2]*ast.Term{ast.StringTerm("version"), ast.StringTerm(o.Version)},
		[2]*ast.Term{ast.StringTerm("kind"), ast.StringTerm(o.Kind)},
	)
	return ast.NewTerm(ast.NewObject(
		[2]*ast.Term{ast.StringTerm("kind"), ast.NewTerm(kind)},
		[2]*ast.Term{ast.StringTerm("name"), ast.StringTerm(o.Name)},
		[2]*ast.Term{ast.StringTerm("namespace"), ast.StringTerm(o.Namespace)},
		[2]*ast.Term{ast.StringTerm("operation"), ast.StringTerm("CREATE")},
		[2]*ast.Term{ast.StringTerm("object"), ast.NewTerm(obj)},
	)), nil
}

// messages are the msg of every violation in a result set.
func messages(rs rego.ResultSet) []string {
	var out []string
	for _, r := range rs {
		for _, e := range r.Expressions {
			set, _ := e.Value.([]any)
			for _, v := range set {
				m, _ := v.(map[string]any)
				msg, _ := m["msg"].(string)
				if msg == "" {
					msg = fmt.Sprint(v)
				}
				out = append(out, msg)
			}
		}
	}
	slices.Sort(out)
	return out
}

// SyncedKinds are the kinds Gatekeeper's Config replicates into
// data.inventory (templates with Inventory read them): the autoscalers
// and disruption budgets K8sProdAvailability looks up.
var SyncedKinds = []struct{ Group, Version, Kind string }{
	{"autoscaling", "v2", "HorizontalPodAutoscaler"},
	{"policy", "v1", "PodDisruptionBudget"},
}

// inventory is data.inventory as Gatekeeper lays it out:
// namespace.<ns>.<apiVersion>.<kind>.<name>, of the synced kinds.
func inventory(objs []*Object) map[string]any {
	synced := map[[2]string]string{}
	for _, k := range SyncedKinds {
		synced[[2]string{k.Group, k.Kind}] = k.Group + "/" + k.Version
	}
	ns := map[string]any{}
	for _, o := range objs {
		gv, ok := synced[[2]string{o.Group, o.Kind}]
		if !ok || o.Namespace == "" || gv != o.Group+"/"+o.Version {
			continue
		}
		byGV := child(ns, o.Namespace)
		byKind := child(byGV, gv)
		child(byKind, o.Kind)[o.Name] = o.Obj
	}
	return map[string]any{"namespace": ns, "cluster": map[string]any{}}
}

func child(m map[string]any, k string) map[string]any {
	c, ok := m[k].(map[string]any)
	if !ok {
		c = map[string]any{}
		m[k] = c
	}
	return c
}
