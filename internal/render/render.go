// Package render runs the pipeline: load the platform's CUE once, check it,
// and let every emitter add its files to one tree. It writes nothing; the
// writer decides what reaches the disk.
package render

import (
	"errors"
	"sync"

	cueerrors "cuelang.org/go/cue/errors"

	"github.com/idpgen/idpgen/internal/emit/addons"
	"github.com/idpgen/idpgen/internal/emit/argocd"
	"github.com/idpgen/idpgen/internal/emit/gatekeeper"
	"github.com/idpgen/idpgen/internal/emit/karpenter"
	"github.com/idpgen/idpgen/internal/emit/kustomize"
	"github.com/idpgen/idpgen/internal/emit/monitors"
	"github.com/idpgen/idpgen/internal/emit/terraform"
	"github.com/idpgen/idpgen/internal/emit/vault"
	"github.com/idpgen/idpgen/internal/emit/workflows"
	"github.com/idpgen/idpgen/internal/load"
	"github.com/idpgen/idpgen/internal/model"
	"github.com/idpgen/idpgen/internal/tree"
	"github.com/idpgen/idpgen/internal/validate"
)

// Emitter turns the model into files. Emitters are pure functions of the
// model: no disk, no network, no clock.
type Emitter interface {
	Name() string
	Emit(p *model.Platform, out *tree.Tree) error
}

// Verifier is implemented by emitters whose output can be cross-checked with
// the consuming tool's own library (hcl/v2 for Terraform, Helm for chart
// values, Argo CD's template expansion). render, vet and diff run them: a
// tree vet rejects is never written (render --check compares bytes only). Notes tell the user what could not be
// checked (never a silent pass); err lists the problems found, located in
// the CUE (internal/diag).
type Verifier interface {
	Verify(p *model.Platform, t *tree.Tree) (notes []string, err error)
}

// Verify runs every emitter's Verifier over a rendered tree, concurrently
// (they only read p and t), and collects all notes and all errors in the
// emitters' order.
func Verify(p *model.Platform, t *tree.Tree, emitters []Emitter) (notes []string, err error) {
	type result struct {
		notes []string
		err   error
	}
	results := make([]result, len(emitters))
	var wg sync.WaitGroup
	for i, e := range emitters {
		v, ok := e.(Verifier)
		if !ok {
			continue
		}
		wg.Go(func() {
			n, err := v.Verify(p, t)
			results[i] = result{n, err}
		})
	}
	var leaks error
	wg.Go(func() { leaks = Leaks(p, t) }) // leaks.go
	wg.Wait()
	errs := []error{leaks}
	for _, r := range results {
		notes = append(notes, r.notes...)
		if r.err != nil {
			errs = append(errs, r.err)
		}
	}
	return notes, errors.Join(errs...)
}

// Emitters is every output idpgen renders, in a fixed order.
func Emitters() []Emitter {
	return []Emitter{
		treeMetadata{},
		kustomize.New(),
		terraform.New(),
		addons.New(),
		karpenter.New(),
		vault.New(),
		gatekeeper.New(),
		monitors.New(),
		workflows.New(), // .github/workflows/, the second root
		// argocd deploys the directories the emitters above render: last.
		argocd.New(),
	}
}

// Load evaluates and checks the platform in dir.
func Load(dir string) (*model.Platform, error) {
	p, err := load.Platform(dir)
	if p == nil {
		return nil, err
	}
	// With CUE errors, p is partial: the cross checks still run on it so
	// that every problem is reported in one run, but nothing is rendered.
	if verr := validate.Platform(p); verr != nil || err != nil {
		return nil, cueerrors.Append(promote(err), promote(verr))
	}
	return p, nil
}

// Platform loads the platform in dir and renders it.
func Platform(dir string) (*model.Platform, *tree.Tree, error) {
	p, err := Load(dir)
	if err != nil {
		return nil, nil, err
	}
	t, err := Model(p, Emitters())
	return p, t, err
}

// Model renders an already loaded platform with the given emitters. They
// run concurrently (each is a pure function of the model adding its own
// paths to the write-once tree), except those that read the tree: an
// emitter implementing TreeReader runs after all the others have finished.
// Errors are reported in the emitters' order, and a path two emitters
// claim is named with both whichever came first, so the outcome does not
// depend on the schedule.
func Model(p *model.Platform, emitters []Emitter) (*tree.Tree, error) {
	t := tree.New()
	errs := make([]error, len(emitters))
	run := func(readers bool) {
		var wg sync.WaitGroup
		for i, e := range emitters {
			if _, reads := e.(TreeReader); reads == readers {
				wg.Go(func() { errs[i] = e.Emit(p, t) })
			}
		}
		wg.Wait()
	}
	for _, readers := range []bool{false, true} {
		run(readers)
		for _, err := range errs {
			if err != nil {
				return nil, err
			}
		}
	}
	return t, nil
}

// TreeReader marks an emitter whose output depends on what the others
// rendered (Argo CD deploys their directories): it runs last.
type TreeReader interface {
	ReadsTree()
}

func promote(err error) cueerrors.Error {
	if err == nil {
		return nil
	}
	return cueerrors.Promote(err, "")
}

// treeMetadata marks the whole tree as generated for Git and its hosts.
type treeMetadata struct{}

func (treeMetadata) Name() string { return "tree" }

func (treeMetadata) Emit(_ *model.Platform, out *tree.Tree) error {
	return out.Add("tree", ".gitattributes", []byte("# "+tree.Marker+"\n* linguist-generated=true\n"))
}
