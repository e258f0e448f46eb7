package policy

import (
	"testing"

	"github.com/idpgen/idpgen/internal/tree"
)

// SetExampleTree lets the external tests (which may import render) hand
// the internal ones the rendered example.
func SetExampleTree(f func(*testing.T) *tree.Tree) { exampleTree = f }

// FastDecode exposes the fast YAML reader to the external tests.
var FastDecode = fastDecode
