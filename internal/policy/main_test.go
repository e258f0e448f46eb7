package policy_test

import (
	"sync"
	"testing"

	"github.com/idpgen/idpgen/internal/model"
	"github.com/idpgen/idpgen/internal/policy"
	"github.com/idpgen/idpgen/internal/render"
	"github.com/idpgen/idpgen/internal/tree"
)

func init() { policy.SetExampleTree(func(t *testing.T) *tree.Tree { _, tr := example(t); return tr }) }

var (
	exampleOnce sync.Once
	exampleP    *model.Platform
	exampleT    *tree.Tree
	exampleErr  error
)

// example is the example platform, rendered once per test binary. Tests
// must not change either.
func example(t *testing.T) (*model.Platform, *tree.Tree) {
	t.Helper()
	exampleOnce.Do(func() { exampleP, exampleT, exampleErr = render.Platform("../../platforms/example") })
	if exampleErr != nil {
		t.Fatal(exampleErr)
	}
	return exampleP, exampleT
}
