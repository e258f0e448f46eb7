package tree

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	sigsyaml "sigs.k8s.io/yaml"
)

// decodeJSON must give what encoding/json with UseNumber gives, on
// json.Marshal's output: every document of the example tree (JSON of the
// Terraform files, YAML of the rest), and random values of awkward
// strings, numbers and nesting.
func TestDecodeJSONMatchesEncodingJSON(t *testing.T) {
	check := func(where string, v any) {
		t.Helper()
		j, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		want := slowDecode(t, j)
		got, err := decodeJSON(j)
		if err != nil {
			t.Errorf("%s: %v on %s", where, err, j)
			return
		}
		if !reflect.DeepEqual(generic(got), want) {
			t.Errorf("%s: decodeJSON\n%#v\nencoding/json\n%#v", where, got, want)
		}
	}
	docs := 0
	err := filepath.WalkDir("../../generated", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var parts [][]byte
		switch {
		case strings.HasSuffix(p, ".json"):
			parts = [][]byte{data}
		case strings.HasSuffix(p, ".yaml"):
			for _, doc := range strings.Split(string(data), "\n---\n") {
				j, err := sigsyaml.YAMLToJSON([]byte(doc))
				if err != nil {
					return err
				}
				parts = append(parts, j)
			}
		}
		for _, j := range parts {
			docs++
			check(p, slowDecode(t, j))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if docs < 300 {
		t.Errorf("only %d documents of the example tree", docs)
	}

	strs := []string{"", "a", "\"", "\\", "\n", "\t", "<&>", "é", "\u2028", "😀", "\x01", "}", "]", ",", ":", "null", "1e3"}
	nums := []any{0, -1, 3.5, 1e21, -2.25e-7, int64(1) << 62, 0.1}
	r := rand.New(rand.NewPCG(3, 4))
	var random func(depth int) any
	random = func(depth int) any {
		switch n := r.IntN(7); {
		case n == 0 && depth < 4:
			m := map[string]any{}
			for range r.IntN(4) {
				m[strs[r.IntN(len(strs))]+strs[r.IntN(len(strs))]] = random(depth + 1)
			}
			return m
		case n == 1 && depth < 4:
			s := []any{}
			for range r.IntN(4) {
				s = append(s, random(depth+1))
			}
			return s
		case n == 2:
			return nums[r.IntN(len(nums))]
		case n == 3:
			return r.IntN(2) == 0
		case n == 4:
			return nil
		}
		return strs[r.IntN(len(strs))] + strs[r.IntN(len(strs))]
	}
	for i := range 2000 {
		check("random "+string(rune('0'+i%10)), map[string]any{"v": random(0)})
	}

	for _, bad := range []string{``, `{`, `{"a"}`, `{"a":1,}`, `[1,]`, `"x`, `tru`, `{"a":1}x`, `-`, `1.2.3`} {
		if _, err := decodeJSON([]byte(bad)); err == nil {
			t.Errorf("decodeJSON(%q) accepted it", bad)
		}
	}
}

func slowDecode(t *testing.T, j []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// generic turns decoded objects back into maps, the shape encoding/json
// decodes into.
func generic(v any) any {
	switch x := v.(type) {
	case object:
		m := make(map[string]any, len(x))
		for _, e := range x {
			m[e.key] = generic(e.val)
		}
		return m
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = generic(e)
		}
		return out
	}
	return v
}
