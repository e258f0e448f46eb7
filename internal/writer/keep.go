package writer

import (
	"fmt"
	"path"
	"path/filepath"
	"strings"
)

// KeepName lists the hand-written files kept in the owned tree.
//
// One glob pattern per line; blank lines and lines starting with # are
// ignored. A pattern without a slash matches a file's name in any directory
// (README.md, *.md, CODEOWNERS); a pattern with a slash matches the path
// from the root of the tree (docs/*.md; a leading / is allowed); a pattern
// ending in / keeps everything below that directory (docs/). * and ? never
// match a slash; there is no ** and no negation.
//
// A kept file is never touched by render and not reported by render --check
// or diff, except where Argo CD would deploy it (see deployable): there it
// stays an error, because keeping it would deploy a hand-written object
// nobody reviewed as part of the platform. A path that idpgen renders is
// always idpgen's, whatever the patterns say.
const KeepName = ".idpgenkeep"

type keepPattern struct {
	glob     string
	anchored bool // matched against the whole path, not the base name
	dir      bool // keeps everything below glob
}

type keepList []keepPattern

func readKeep(root string) (keepList, error) {
	name := filepath.Join(root, KeepName)
	data, err := readRegular(name)
	if isNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out keepList
	var errs []string
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		bad := func(why string) { errs = append(errs, fmt.Sprintf("%s:%d: %q: %s", name, i+1, line, why)) }
		p := keepPattern{glob: line}
		if strings.HasPrefix(p.glob, "/") {
			p.glob, p.anchored = p.glob[1:], true
		}
		if strings.HasSuffix(p.glob, "/") {
			p.glob, p.dir, p.anchored = strings.TrimSuffix(p.glob, "/"), true, true
		}
		if strings.Contains(p.glob, "/") {
			p.anchored = true
		}
		_, err := path.Match(p.glob, "")
		switch {
		case strings.HasPrefix(line, "!"):
			bad("negation is not supported")
		case strings.Contains(line, "**"):
			bad("** is not supported: list the directory with a trailing / instead")
		case p.glob == "" || path.Clean(p.glob) != p.glob || strings.HasPrefix(p.glob, "../") || p.glob == "..":
			bad("not a clean path below the tree")
		case err != nil:
			bad(err.Error())
		default:
			out = append(out, p)
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return out, nil
}

// match reports whether p (slash-separated, relative to the root) is kept.
func (k keepList) match(p string) bool {
	for _, pat := range k {
		switch {
		case pat.dir:
			if ok, _ := path.Match(pat.glob, p); ok {
				return true
			}
			// Every ancestor directory of p against the pattern.
			for d := path.Dir(p); d != "."; d = path.Dir(d) {
				if ok, _ := path.Match(pat.glob, d); ok {
					return true
				}
			}
		case pat.anchored:
			if ok, _ := path.Match(pat.glob, p); ok {
				return true
			}
		default:
			if ok, _ := path.Match(pat.glob, path.Base(p)); ok {
				return true
			}
		}
	}
	return false
}

// deployable reports whether Argo CD could deploy a file at p: it syncs
// directories below environments/ (and, through Kustomize, base/), and a
// directory source applies every YAML or JSON file in it. Such a file can
// never be kept.
func deployable(p string) bool {
	if !strings.HasPrefix(p, "environments/") && !strings.HasPrefix(p, "base/") {
		return false
	}
	switch strings.ToLower(path.Ext(p)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}
