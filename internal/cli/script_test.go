package cli_test

import (
	"errors"
	"os"
	"os/exec"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/rogpeppe/go-internal/txtar"

	"github.com/idpgen/idpgen/internal/cli"
	"github.com/idpgen/idpgen/internal/eksversions"
	"github.com/idpgen/idpgen/internal/golden"
)

func TestMain(m *testing.M) {
	// The EKS support phases are read for a fixed day: no test changes
	// with the calendar.
	os.Setenv(eksversions.TodayEnv, testToday)
	// The kill test runs the test binary as idpgen itself.
	if os.Getenv("IDPGEN_CLI_CHILD") == "1" {
		os.Exit(cli.Main())
	}
	testscript.Main(m, map[string]func(){
		"idpgen": func() { os.Exit(cli.Main()) },
	})
}

// testToday is the day the tests read the EKS calendar for.
const testToday = "2026-12-02"

// TestScripts runs the CLI scripts in testdata/script. Each starts in a
// copy of the CUE module holding the base platform (testdata/base.txtar).
// Their expected output is the user-facing text, positions included.
func TestScripts(t *testing.T) {
	base, err := txtar.ParseFile("testdata/base.txtar")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		UpdateScripts:       golden.Updating(),
		Setup: func(env *testscript.Env) error {
			if err := seedModule(env.WorkDir); err != nil {
				return err
			}
			for _, f := range base.Files {
				if _, err := os.Stat(env.WorkDir + "/" + f.Name); err == nil {
					continue // the script brings its own version
				}
				if err := writeFile(env.WorkDir+"/"+f.Name, f.Data); err != nil {
					return err
				}
			}
			env.Setenv("GITHUB_ACTIONS", "")
			env.Setenv(eksversions.TodayEnv, testToday)
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// exits CODE PROG ARGS... runs PROG and fails unless it exits
			// with CODE; its output is then checked like exec's.
			"exits": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) < 2 || neg {
					ts.Fatalf("usage: exits CODE PROG [ARGS...]")
				}
				want, err := strconv.Atoi(args[0])
				ts.Check(err)
				got := 0
				if err := ts.Exec(args[1], args[2:]...); err != nil {
					var ee *exec.ExitError
					if !errors.As(err, &ee) {
						ts.Fatalf("%v", err)
					}
					got = ee.ExitCode()
				}
				if got != want {
					ts.Fatalf("%s exited %d, want %d", args[1], got, want)
				}
			},
			// treestate DIR prints every file's path, size, mtime and hash.
			"treestate": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 1 {
					ts.Fatalf("usage: treestate DIR")
				}
				s, err := treeState(ts.MkAbs(args[0]))
				ts.Check(err)
				ts.Stdout().Write([]byte(s))
			},
		},
	})
}
