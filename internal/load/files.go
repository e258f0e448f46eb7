package load

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"cuelang.org/go/cue/build"
	"cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"

	"github.com/idpgen/idpgen/internal/diag"
)

// checkFiles requires every .cue file in the platform directory to be part
// of the platform's package. CUE leaves out, without an error, a file with
// no package clause (deleted by mistake, or unreadable: with CR-only line
// endings the first comment runs to the end of the file), and a render
// would then silently delete everything the file declared. A file whose
// name starts with '_' or '.' is left out on purpose, as CUE documents.
//
// It runs before cue/load, whose errors for an unreadable file (a symlink
// to itself) or a second package carry no position.
func checkFiles(dir string) errors.Error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil // cue/load reports it
	}
	type file struct {
		name, pkg string
	}
	var files []file
	var errs errors.Error
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".cue") || strings.HasPrefix(name, "_") || strings.HasPrefix(name, ".") {
			continue
		}
		path := filepath.Join(dir, name)
		data, err := os.ReadFile(path) // follows symlinks, as cue/load does
		if err != nil {
			msg := err.Error()
			if pe, ok := err.(*os.PathError); ok {
				msg = pe.Err.Error()
			}
			errs = errors.Append(errs, diag.New(filePos(path, nil, 0), nil, "cannot read the file: %s", msg))
			continue
		}
		if i := loneCR(data); i >= 0 {
			errs = errors.Append(errs, diag.New(filePos(path, data, i), nil,
				"the file has CR-only line endings, which CUE does not read as line ends (a comment would swallow the rest of the file); save it with LF line endings"))
			continue
		}
		f, err := parser.ParseFile(path, data, parser.PackageClauseOnly)
		if err != nil {
			continue // a syntax error: cue/load reports it with its position
		}
		files = append(files, file{name, f.PackageName()})
	}
	// The platform's package is the one most files declare.
	count := map[string]int{}
	pkg := ""
	for _, f := range files {
		if f.pkg == "" {
			continue
		}
		count[f.pkg]++
		if n := count[f.pkg]; n > count[pkg] || n == count[pkg] && f.pkg < pkg {
			pkg = f.pkg
		}
	}
	for _, f := range files {
		path := filepath.Join(dir, f.name)
		switch {
		case f.pkg == "" && pkg != "":
			errs = errors.Append(errs, diag.New(filePos(path, nil, 0), nil,
				"the file has no package clause, so CUE leaves it out of the platform with all it declares; start it with `package %s` (or name it with a leading '_' to leave it out on purpose)", pkg))
		case f.pkg != pkg && pkg != "":
			errs = errors.Append(errs, diag.New(filePos(path, nil, 0), nil,
				"the file is package %s, but the platform is package %s; every .cue file in the platform directory is part of the platform (name it with a leading '_' to leave it out)", f.pkg, pkg))
		}
	}
	return errs
}

// excludedFiles reports the files cue/load left out of the package for any
// other reason (a build attribute such as @if(tag): idpgen sets no tags).
func excludedFiles(inst *build.Instance) errors.Error {
	var errs errors.Error
	for _, f := range slices.Concat(inst.IgnoredFiles, inst.OrphanedFiles, inst.InvalidFiles) {
		base := filepath.Base(f.Filename)
		if !strings.HasSuffix(base, ".cue") || strings.HasPrefix(base, "_") || strings.HasPrefix(base, ".") {
			continue
		}
		reason := "excluded"
		if f.ExcludeReason != nil {
			reason = f.ExcludeReason.Error()
		}
		errs = errors.Append(errs, diag.New(filePos(f.Filename, nil, 0), nil,
			"the file is not part of the platform (%s); every .cue file in the platform directory must be (name it with a leading '_' to leave it out on purpose)", reason))
	}
	return errs
}

// loneCR is the offset of the first carriage return not followed by a line
// feed, or -1.
func loneCR(data []byte) int {
	for i := 0; ; {
		j := bytes.IndexByte(data[i:], '\r')
		if j < 0 {
			return -1
		}
		i += j
		if i+1 >= len(data) || data[i+1] != '\n' {
			return i
		}
		i++
	}
}

// filePos is a position in a file CUE did not parse, so that the error
// prints the file's name (line 1, column 1 without content).
func filePos(path string, data []byte, offset int) token.Pos {
	f := token.NewFile(path, -1, max(len(data), 1))
	if data != nil {
		f.SetLinesForContent(data)
	}
	return f.Pos(offset, token.NoRelPos)
}
