package writer

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/idpgen/idpgen/internal/tree"
)

// Manifest records what a render wrote.
type Manifest struct {
	Files map[string]string // path → sha256 of the content, hex
}

func hash(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// ManifestOf is the manifest describing t.
func ManifestOf(t *tree.Tree) Manifest {
	m := Manifest{Files: map[string]string{}}
	for _, f := range t.Files() {
		m.Files[f.Path] = hash(f.Data)
	}
	return m
}

// entries is the on-disk form of a path → hash map: one "path hash" string
// per file, sorted by path.
//
// The first manifest format was a JSON object of "path": "hash" pairs, and
// secret scanners read a line such as
//
//	"environments/dev/platform-secrets/vault-token.yaml": "3f9a…",
//
// as an assignment of a 64-character high-entropy value to something named
// token (gitleaks' generic-api-key rule: 29 findings in the example). Here
// the hash follows the path inside one string, with no ':', '=' or ','
// between a file name and a hash, so nothing reads as "name = value"; and no
// quoted string is hex alone (detect-secrets' hex entropy check).
func entries(files map[string]string) []string {
	out := make([]string, 0, len(files))
	for p, h := range files {
		out = append(out, p+" "+h)
	}
	slices.Sort(out) // a path has no space: sorting the strings sorts by path
	return out
}

// parseEntries reads entries back. A string without a hash is a bare path
// (the journal format of idpgen before hashes were recorded).
func parseEntries(list []string, where string) (map[string]string, []string, error) {
	out := make(map[string]string, len(list))
	order := make([]string, 0, len(list))
	for _, e := range list {
		p, h, _ := strings.Cut(e, " ")
		if err := tree.CheckPath(p); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", where, err)
		}
		if h != "" && !isHash(h) {
			return nil, nil, fmt.Errorf("%s: %q: %q is not a sha256 hash", where, p, h)
		}
		if _, dup := out[p]; dup {
			return nil, nil, fmt.Errorf("%s: %q is listed twice", where, p)
		}
		out[p] = h
		order = append(order, p)
	}
	return out, order, nil
}

func isHash(h string) bool {
	if len(h) != 64 {
		return false
	}
	_, err := hex.DecodeString(h)
	return err == nil && strings.ToLower(h) == h
}

func (m Manifest) encode() []byte {
	b, err := tree.JSON(map[string][]string{"files": entries(m.Files)})
	if err != nil {
		panic(err) // a list of strings always encodes
	}
	return b
}

// readManifest reads the manifest under root; raw is its bytes (nil when
// there is none), so that Apply can tell whether another render changed the
// tree since the plan was made.
func readManifest(root string) (m Manifest, raw []byte, err error) {
	m = Manifest{Files: map[string]string{}}
	name := filepath.Join(root, ManifestName)
	raw, err = readRegular(name)
	if isNotExist(err) {
		return m, nil, nil
	}
	if err != nil {
		return m, nil, err
	}
	var doc struct {
		Files json.RawMessage `json:"files"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return m, nil, fmt.Errorf("%s: %w", name, err)
	}
	var list []string
	switch files := bytes.TrimSpace(doc.Files); {
	case len(files) == 0 || string(files) == "null":
	case files[0] == '{':
		// The format of earlier versions: {"path": "hash"}. Still read, so a
		// tree written by them renders and checks cleanly; the next render
		// rewrites it in the current format.
		var old map[string]string
		if err := json.Unmarshal(files, &old); err != nil {
			return m, nil, fmt.Errorf("%s: %w", name, err)
		}
		for p, h := range old {
			list = append(list, p+" "+h)
		}
	default:
		if err := json.Unmarshal(files, &list); err != nil {
			return m, nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	files, _, err := parseEntries(list, name)
	if err != nil {
		return m, nil, err
	}
	for p, h := range files {
		// A manifest is data on disk: it may only claim files a render
		// writes, each with its hash.
		if h == "" {
			return m, nil, fmt.Errorf("%s: %q has no hash", name, p)
		}
		if own(p) {
			return m, nil, fmt.Errorf("%s: %q is one of idpgen's own files, never a rendered one", name, p)
		}
	}
	m.Files = files
	return m, raw, nil
}
