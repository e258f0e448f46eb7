package load

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/idpgen/idpgen/internal/synth"
)

// TestExportJSONIsMarshalJSON holds the concurrent export of a platform to
// the same JSON value as CUE's own MarshalJSON of it, on the example and
// on a synthetic platform (run it with -race: the export relies on CUE
// values being safe for concurrent use).
func TestExportJSONIsMarshalJSON(t *testing.T) {
	synthetic := filepath.Join("..", "..", ".bench", "export-test")
	t.Cleanup(func() { os.RemoveAll(synthetic) })
	if err := synth.Write(synthetic, synth.Options{Services: 120, Environments: 3, PerFile: 40}); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{filepath.Join("..", "..", "platforms", "example"), synthetic} {
		p, err := Platform(dir)
		if err != nil {
			t.Fatal(err)
		}
		want, err := p.Src.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		got, err := exportJSON(p.Src)
		if err != nil {
			t.Fatal(err)
		}
		var g, w any
		if err := json.Unmarshal(got, &g); err != nil {
			t.Fatalf("%s: not JSON: %v", dir, err)
		}
		if err := json.Unmarshal(want, &w); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s: the concurrent export differs from MarshalJSON", dir)
		}
		if services, _ := g.(map[string]any)["services"].(map[string]any); len(services) != len(p.Services) || len(services) == 0 {
			t.Errorf("%s: %d services exported, the platform has %d", dir, len(services), len(p.Services))
		}
	}
}
