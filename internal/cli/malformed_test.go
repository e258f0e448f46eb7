package cli_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/idpgen/idpgen/internal/cli"
	"github.com/idpgen/idpgen/internal/golden"
)

// TestMalformedPlatforms runs the corpus in testdata/malformed. Each case is
// a change on top of the valid base platform. For each: render a valid tree
// first (as a PR would find it), apply the bad change, render again, and
// require exit code 2, exactly the expected errors (positions, paths,
// messages: all of them at once), and a generated/ left untouched: same
// files, same bytes, same modification times.
//
// A case's "remove" section lists files to delete; its "want" section is the
// expected stderr (rewritten with IDPGEN_UPDATE=1).
func TestMalformedPlatforms(t *testing.T) {
	base, err := txtar.ParseFile("testdata/base.txtar")
	if err != nil {
		t.Fatal(err)
	}
	cases, _ := filepath.Glob("testdata/malformed/*.txtar")
	if len(cases) < 20 {
		t.Fatalf("the corpus has %d cases, want at least 20", len(cases))
	}
	for _, file := range cases {
		name := strings.TrimSuffix(filepath.Base(file), ".txtar")
		t.Run(name, func(t *testing.T) {
			a, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			if err := seedModule(dir); err != nil {
				t.Fatal(err)
			}
			extract(t, dir, base)
			t.Chdir(dir)

			var stdout, stderr bytes.Buffer
			if code := cli.Run([]string{"render", "--platform", "platform"}, &stdout, &stderr); code != cli.ExitOK {
				t.Fatalf("rendering the base platform: exit %d\n%s", code, stderr.String())
			}
			before, err := treeState("generated")
			if err != nil {
				t.Fatal(err)
			}

			var want []byte
			change := &txtar.Archive{}
			for _, f := range a.Files {
				switch f.Name {
				case "want":
					want = f.Data
				case "remove":
					for _, p := range strings.Fields(string(f.Data)) {
						if err := os.Remove(p); err != nil {
							t.Fatal(err)
						}
					}
				default:
					change.Files = append(change.Files, f)
				}
			}
			extract(t, dir, change)

			stdout.Reset()
			stderr.Reset()
			code := cli.Run([]string{"render", "--platform", "platform"}, &stdout, &stderr)
			if code != cli.ExitInvalid {
				t.Errorf("exit code %d, want %d (invalid platform)\nstderr:\n%s", code, cli.ExitInvalid, stderr.String())
			}
			if stdout.Len() > 0 {
				t.Errorf("stdout: %s", stdout.String())
			}
			if golden.Updating() {
				for i := range a.Files {
					if a.Files[i].Name == "want" {
						a.Files[i].Data = stderr.Bytes()
					}
				}
				if err := os.WriteFile(filepath.Join(repoDir(t), file), txtar.Format(a), 0o644); err != nil {
					t.Fatal(err)
				}
			} else if got := stderr.String(); got != string(want) {
				t.Errorf("stderr:\n%s\nwant:\n%s", got, want)
			}
			after, err := treeState("generated")
			if err != nil {
				t.Fatal(err)
			}
			if after != before {
				t.Errorf("generated/ changed:\nbefore:\n%s\nafter:\n%s", before, after)
			}
		})
	}
}

// repoDir is this package's directory, where testdata lives; the test
// itself runs in a temporary directory.
func repoDir(t *testing.T) string {
	t.Helper()
	dir, ok := os.LookupEnv("IDPGEN_PKG_DIR")
	if ok {
		return dir
	}
	return pkgDir
}

var pkgDir, _ = os.Getwd()
