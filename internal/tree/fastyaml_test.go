package tree

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v2"
	sigsyaml "sigs.k8s.io/yaml"
)

// fastYAML must write what yaml.v2 writes, byte for byte, whenever it
// accepts a value. Compared on every document of the committed example
// tree (where it must also accept nearly all documents: it is the fast
// path) and on random values built from awkward strings.
func TestFastYAMLMatchesYAMLv2(t *testing.T) {
	docs, fast := 0, 0
	err := filepath.WalkDir("../../generated", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yaml") {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, doc := range strings.Split(string(data), "\n---\n") {
			j, err := sigsyaml.YAMLToJSON([]byte(doc))
			if err != nil {
				return err
			}
			dec := json.NewDecoder(bytes.NewReader(j))
			dec.UseNumber()
			var v any
			if err := dec.Decode(&v); err != nil {
				return err
			}
			docs++
			if compareFast(t, p, v) {
				fast++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if docs < 200 || fast < docs*8/10 {
		t.Errorf("fast path took %d of %d documents of the example tree", fast, docs)
	}

	pieces := []string{"a", "Z", "0", "1", "-", "_", ".", "/", ":", " ", ": ", " #", "#", "'", "\"", "\\", "\n", "\t",
		"yes", "no", "on", "off", "true", "null", "~", "y", "n", "0x1F", "1e3", "1_000", "12:30", ".inf", ".5", "+1",
		"-1", "2001-12-14", "*", "&", "!", "%", "@", "`", "|", ">", "?", "[", "]", "{", "}", ",", "é", "---", "...",
		"<<", strings.Repeat("word ", 20), strings.Repeat("x", 90)}
	r := rand.New(rand.NewPCG(1, 2))
	str := func() string {
		var b strings.Builder
		for range r.IntN(4) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		return b.String()
	}
	var value func(depth int) any
	value = func(depth int) any {
		k := r.IntN(9)
		if depth > 3 {
			k = r.IntN(5)
		}
		switch k {
		case 0, 1, 2:
			return str()
		case 3:
			return json.Number([]string{"0", "7", "-12", "1.5", "123456789012"}[r.IntN(5)])
		case 4:
			return []any{nil, true, false}[r.IntN(3)]
		case 5, 6:
			m := map[string]any{}
			for range r.IntN(4) {
				m[str()] = value(depth + 1)
			}
			return m
		default:
			l := []any{}
			for range r.IntN(4) {
				l = append(l, value(depth+1))
			}
			return l
		}
	}
	for i := range 20000 {
		m := map[string]any{}
		for range 1 + r.IntN(4) {
			m[str()] = value(0)
		}
		compareFast(t, "random value "+string(rune('0'+i%10)), m)
	}
}

// compareFast reports whether fastYAML took v, failing the test if its
// output differs from yaml.v2's.
func compareFast(t *testing.T, where string, v any) bool {
	t.Helper()
	compareTyped(t, where, v)
	got, ok := fastYAML(objects(v))
	if !ok {
		return false
	}
	want, err := yaml.Marshal(toYAML(v))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s: fastYAML:\n%s\nyaml.v2:\n%s", where, got, want)
	}
	return true
}

// plainAsIs must only accept strings yaml.v2 writes unchanged.
func TestPlainAsIsAgreesWithYAMLv2(t *testing.T) {
	words := []string{"a", "Yes", "NO", "oN", "Off", "TRUE", "False", "Null", "NULL", "y", "N", "nan", "inf", "e3",
		"app.kubernetes.io/name", "x-y_z", "v1", "a/b.c", "Z9", "idpgen.dev/team", "True", "YES", "ON", "OFF", "Y",
		"x.", "a-", "b_", "c/", "E1", "o", "nO", "tRUE", "nULL", "yES"}
	for _, w := range words {
		out, err := yaml.Marshal(w)
		if err != nil {
			t.Fatal(err)
		}
		same := strings.TrimSuffix(string(out), "\n") == w
		if plainAsIs(w) && !same {
			t.Errorf("plainAsIs(%q) but yaml.v2 writes %q", w, out)
		}
	}
}

// compareTyped requires typedYAML, where it accepts a value, to write what
// the generic path writes for it (direct, dropServerFields, fastYAML or
// yaml.v2).
func compareTyped(t *testing.T, where string, v any) {
	t.Helper()
	got, ok := typedYAML(v)
	if !ok {
		return
	}
	m, ok := direct(v)
	if !ok {
		t.Fatalf("%s: typedYAML took a value direct refuses", where)
	}
	if obj, ok := m.(object); ok {
		m = dropServerFields(obj)
	}
	want, ok := fastYAML(m)
	if !ok {
		var err error
		if want, err = yaml.Marshal(toYAML(m)); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s: typedYAML:\n%s\nthe generic path:\n%s", where, got, want)
	}
}
