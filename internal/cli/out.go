package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/parser"
)

// outDir is the output directory, placed relative to the platform's
// sources and the git repository that holds them.
type outDir struct {
	flag string // --out as given
	abs  string // absolute, symlinks resolved
	repo string // root of the git work tree holding the platform; "" outside git
}

// checkOut refuses an output directory that render would have to read and
// write with the platform's own files in it: the writer owns the directory
// and prunes what it does not render, so the directory must belong to
// idpgen alone. It runs before the platform is evaluated, so a bad flag is
// reported as bad usage whatever state the CUE is in.
func checkOut(out, platform string) (*outDir, error) {
	usage := func(format string, args ...any) error {
		return &exitError{ExitUsage, fmt.Errorf("--out %s: "+format, append([]any{strconv.Quote(out)}, args...)...)}
	}
	if strings.TrimSpace(out) == "" {
		return nil, usage("the output directory must be named (an empty --out would render into the working directory)")
	}
	abs, err := resolve(out)
	if err != nil {
		return nil, usage("%v", err)
	}
	if filepath.Dir(abs) == abs {
		return nil, usage("refusing to render into the file system root")
	}
	platformDir, err := resolve(platform)
	if err != nil {
		return nil, &exitError{ExitUsage, fmt.Errorf("--platform %q: %v", platform, err)}
	}
	d := &outDir{flag: out, abs: abs, repo: findUp(platformDir, ".git")}
	if d.repo != "" && abs == d.repo {
		return nil, usage("refusing to render into the repository root %s; render into a directory of its own, such as generated", d.repo)
	}
	for _, src := range sourceDirs(platformDir) {
		switch {
		case abs == src.dir:
			return nil, usage("refusing to render into %s: it holds the platform's sources (%s)", abs, src.what)
		case within(src.dir, abs):
			return nil, usage("refusing to render into %s: it contains %s, which holds the platform's sources (%s)", abs, src.dir, src.what)
		case within(abs, src.dir):
			return nil, usage("refusing to render into %s: it is inside %s, which holds the platform's sources (%s)", abs, src.dir, src.what)
		}
	}
	return d, nil
}

// checkRepoPath compares the output directory with repo.path, the directory
// Argo CD deploys from. Inside the repository they must agree, or the
// Applications would point at a tree this render did not write; outside it
// the render is a scratch copy, which is fine but worth saying.
func (d *outDir) checkRepoPath(repoPath string, stderr io.Writer) error {
	if d.repo == "" {
		return nil // not in git: there is no repository path to compare
	}
	rel, err := filepath.Rel(d.repo, d.abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		fmt.Fprintf(stderr, "note: --out %q is outside the repository %s: a scratch render, whose Argo CD objects still deploy %s/ of the repository (repo.path)\n", d.flag, d.repo, repoPath)
		return nil
	}
	if rel = filepath.ToSlash(rel); rel != path.Clean(repoPath) {
		return &exitError{ExitUsage, fmt.Errorf("--out %q is %s/ in the repository %s, but repo.path is %q: Argo CD would deploy %s/, not what this render writes; render into %s, or set repo: path: %q in the platform", d.flag, rel, d.repo, repoPath, repoPath, repoPath, rel)}
	}
	return nil
}

// resolve makes p absolute and resolves symbolic links in the part of it
// that exists, so that two spellings of one directory compare equal.
func resolve(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	var rest []string
	for dir := abs; ; dir = filepath.Dir(dir) {
		real, err := filepath.EvalSymlinks(dir)
		if err == nil {
			return filepath.Join(append([]string{real}, rest...)...), nil
		}
		if !errors.Is(err, fs.ErrNotExist) || filepath.Dir(dir) == dir {
			return "", err
		}
		rest = append([]string{filepath.Base(dir)}, rest...)
	}
}

// findUp returns the nearest directory at or above dir that holds name.
func findUp(dir, name string) string {
	for {
		if _, err := os.Lstat(filepath.Join(dir, name)); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// within reports whether p is dir or below it.
func within(p, dir string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

type sourceDir struct{ dir, what string }

// sourceDirs lists the directories the platform is read from: its own
// package, the CUE module's cue.mod, and every package it imports from the
// module or from cue.mod/{pkg,usr,gen}, transitively. Only import
// declarations are parsed, which is cheap next to the evaluation.
func sourceDirs(platformDir string) []sourceDir {
	dirs := []sourceDir{{platformDir, "the platform package"}}
	root := findUp(platformDir, "cue.mod")
	if root == "" {
		return dirs
	}
	dirs = append(dirs, sourceDir{filepath.Join(root, "cue.mod"), "the CUE module's cue.mod"})
	module := modulePath(filepath.Join(root, "cue.mod", "module.cue"))
	seen := map[string]bool{platformDir: true}
	queue := []string{platformDir}
	for len(queue) > 0 {
		dir := queue[0]
		queue = queue[1:]
		for _, imp := range imports(dir) {
			for _, d := range importDirs(root, module, imp) {
				if seen[d] {
					continue
				}
				if info, err := os.Stat(d); err != nil || !info.IsDir() {
					continue
				}
				seen[d] = true
				dirs = append(dirs, sourceDir{d, "package " + imp})
				queue = append(queue, d)
			}
		}
	}
	return dirs
}

// importDirs lists where CUE looks for an import path: in the module
// itself, or in cue.mod's legacy package directories.
func importDirs(root, module, imp string) []string {
	p := ast.ParseImportPath(imp).Path
	var out []string
	if module != "" && (p == module || strings.HasPrefix(p, module+"/")) {
		out = append(out, filepath.Join(root, filepath.FromSlash(strings.TrimPrefix(strings.TrimPrefix(p, module), "/"))))
	}
	for _, sub := range []string{"pkg", "usr", "gen"} {
		out = append(out, filepath.Join(root, "cue.mod", sub, filepath.FromSlash(p)))
	}
	return out
}

// imports lists the import paths of the .cue files directly in dir.
func imports(dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".cue") {
			continue
		}
		f, err := parser.ParseFile(filepath.Join(dir, e.Name()), nil, parser.ImportsOnly)
		if err != nil {
			continue // the evaluation reports it
		}
		for spec := range f.ImportSpecs() {
			if s, err := strconv.Unquote(spec.Path.Value); err == nil {
				out = append(out, s)
			}
		}
	}
	return out
}

// modulePath reads the module path (without its major version) from
// cue.mod/module.cue.
func modulePath(file string) string {
	f, err := parser.ParseFile(file, nil)
	if err != nil {
		return ""
	}
	for _, decl := range f.Decls {
		field, ok := decl.(*ast.Field)
		if !ok {
			continue
		}
		if name, _, _ := ast.LabelName(field.Label); name != "module" {
			continue
		}
		if lit, ok := field.Value.(*ast.BasicLit); ok {
			if s, err := strconv.Unquote(lit.Value); err == nil {
				return ast.ParseImportPath(s).Path
			}
		}
	}
	return ""
}
