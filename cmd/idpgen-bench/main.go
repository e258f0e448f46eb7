// Command idpgen-bench measures idpgen on synthetic platforms (`make bench`).
// It builds the real binaries, generates N services x M environments, and
// reports wall time and peak memory of each command as a separate process,
// with `cue export` of the same input as the reference cost of evaluating
// the CUE alone. For each size it also shows where a render's time goes,
// measured in process: evaluation, emitting, the checks of the output and
// the policy evaluation (render and vet; render --check compares bytes
// without them) and the writer's plan. Last, it times
// vet on a platform of 10,000 services that each depend on a misspelt one:
// 10,000 errors, of which the first 100 are printed. It is a benchmark, not
// a test: it asserts nothing, but marks each figure against the targets.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/idpgen/idpgen/internal/render"
	"github.com/idpgen/idpgen/internal/synth"
	"github.com/idpgen/idpgen/internal/writer"
)

func main() {
	sizes := flag.String("sizes", "100x3,1000x3,1000x4", "comma-separated SERVICESxENVIRONMENTS")
	runs := flag.Int("runs", 3, "runs per measurement (the median is reported)")
	work := flag.String("dir", ".bench", "scratch directory inside the repository's CUE module")
	errs := flag.Int("errors", 10000, "services (each with an unknown dependency) of the error-reporting measure; 0 skips it")
	flag.Parse()
	if err := run(*sizes, *runs, *work, *errs); err != nil {
		fmt.Fprintln(os.Stderr, "idpgen-bench:", err)
		os.Exit(1)
	}
}

type sample struct {
	wall time.Duration
	rss  int64 // bytes
	out  string
	err  string // stderr
}

func run(sizes string, runs int, work string, errorServices int) error {
	if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	idpgen, cue := filepath.Join(work, "idpgen"), filepath.Join(work, "cue")
	// Trees of earlier runs, deleted when the bench ends (see moveAside).
	trash := filepath.Join(os.TempDir(), "idpgen-bench", "trash")
	defer os.RemoveAll(trash)
	for bin, pkg := range map[string]string{idpgen: "./cmd/idpgen", cue: "cuelang.org/go/cmd/cue"} {
		if out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
		}
	}
	fmt.Printf("machine: %d CPUs (GOMAXPROCS default), %s\n\n", numCPU(), goVersion())
	fmt.Println("| services × envs | command | wall (median of", runs, ") | peak RSS | files | target |")
	fmt.Println("|---|---|---|---|---|---|")
	var breakdown []string
	// The in-process measures run after every command has been measured:
	// a command started from this process inherits its peak RSS as its
	// own (the child shares the parent's memory until exec), so the
	// bench's own heap must stay small until then.
	var inProcess []func() error
	for _, size := range strings.Split(sizes, ",") {
		n, m, err := parseSize(size)
		if err != nil {
			return err
		}
		platform := filepath.Join(work, fmt.Sprintf("platform-%dx%d", n, m))
		// The output is a scratch render outside the repository: inside it,
		// idpgen requires --out to be the platform's repo.path.
		out := filepath.Join(os.TempDir(), "idpgen-bench", fmt.Sprintf("generated-%dx%d", n, m))
		os.RemoveAll(platform)
		if err := synth.Write(platform, synth.Options{Services: n, Environments: m}); err != nil {
			return err
		}
		args := []string{"--platform", platform, "--out", out}
		measures := []struct {
			name   string
			before func()
			cmd    []string
			target time.Duration
		}{
			// A first render: the output directory does not exist. The
			// previous run's tree is moved aside, not deleted, until the
			// bench ends: ext4 skips inodes freed in the last minutes
			// when it allocates new ones (recently_deleted), and creating
			// 22,000 files right after deleting as many took up to twice
			// as long (14.7 s against 9.1 s at 1000 x 4).
			{"render (empty tree)", func() { moveAside(out, trash) }, append([]string{idpgen, "render"}, args...), 10 * time.Second},
			{"render (no change)", nil, append([]string{idpgen, "render"}, args...), 10 * time.Second},
			{"render --check (no change)", nil, append([]string{idpgen, "render", "--check"}, args...), 3 * time.Second},
			{"vet", nil, append([]string{idpgen, "vet"}, args...), 0},
			{"cost", nil, []string{idpgen, "cost", "--platform", platform}, 5 * time.Second},
			{"cue export (reference)", nil, []string{cue, "export", "./" + platform}, 0},
		}
		for _, ms := range measures {
			var samples []sample
			for range runs {
				if ms.before != nil {
					ms.before()
				}
				s, err := measure(ms.cmd, 0)
				if err != nil {
					return fmt.Errorf("%s: %w", ms.name, err)
				}
				samples = append(samples, s)
			}
			slices.SortFunc(samples, func(a, b sample) int { return int(a.wall - b.wall) })
			med := samples[len(samples)/2]
			peak := slices.MaxFunc(samples, func(a, b sample) int { return int(a.rss - b.rss) }).rss
			verdict := ""
			if ms.target > 0 && n == 1000 && m == 4 {
				verdict = fmt.Sprintf("< %s", ms.target.Round(10*time.Millisecond))
				if med.wall < ms.target && peak < 1<<30 {
					verdict += " ✓"
				} else {
					verdict += " ✗"
				}
			}
			fmt.Printf("| %d × %d | %s | %s | %d MiB | %s | %s |\n", n, m, ms.name, med.wall.Round(time.Millisecond), peak>>20, files(med.out), verdict)
		}
		inProcess = append(inProcess, func() error {
			b, err := phases(platform, out)
			if err != nil {
				return err
			}
			breakdown = append(breakdown, fmt.Sprintf("| %d × %d | %s |", n, m, b))
			return nil
		})
	}
	if errorServices > 0 {
		platform := filepath.Join(work, fmt.Sprintf("platform-errors-%d", errorServices))
		os.RemoveAll(platform)
		if err := synth.Write(platform, synth.Options{Services: errorServices, Environments: 1, UnknownDependencies: true}); err != nil {
			return err
		}
		var samples []sample
		for range runs {
			s, err := measure([]string{idpgen, "vet", "--platform", platform}, 2)
			if err != nil {
				return fmt.Errorf("vet with %d errors: %w", errorServices, err)
			}
			samples = append(samples, s)
		}
		slices.SortFunc(samples, func(a, b sample) int { return int(a.wall - b.wall) })
		med := samples[len(samples)/2]
		peak := slices.MaxFunc(samples, func(a, b sample) int { return int(a.rss - b.rss) }).rss
		verdict := "< 10s ✗"
		if med.wall < 10*time.Second {
			verdict = "< 10s ✓"
		}
		fmt.Printf("| %d × 1 | vet, %d unknown dependencies (exit 2) | %s | %d MiB | %s | %s |\n", errorServices, errorServices, med.wall.Round(time.Millisecond), peak>>20, lastLine(med.err), verdict)
	}
	for _, f := range inProcess {
		if err := f(); err != nil {
			return err
		}
	}
	fmt.Println()
	fmt.Println("In process, one run (GC as the command tunes it): where a render's time goes. render and vet run the checks")
	fmt.Println("and the policies (render while the writer reads the disk for its plan); render --check runs neither.")
	fmt.Println()
	fmt.Println("| services × envs | evaluate + validate | emit | checks (all, concurrently; each alone; not in --check) | policies (OPA; not in --check) | plan |")
	fmt.Println("|---|---|---|---|---|---|")
	for _, b := range breakdown {
		fmt.Println(b)
	}
	return nil
}

// moveAside renames dir (if it exists) into trash, to be deleted later.
func moveAside(dir, trash string) {
	if _, err := os.Lstat(dir); err != nil {
		return
	}
	if err := os.MkdirAll(trash, 0o755); err != nil {
		panic(err)
	}
	aside, err := os.MkdirTemp(trash, "tree-")
	if err != nil {
		panic(err)
	}
	if err := os.Rename(dir, filepath.Join(aside, "tree")); err != nil {
		panic(err)
	}
}

// phases times the pipeline's steps in this process, as render runs them:
// the verifiers concurrently, and each one alone for its share.
func phases(platform, out string) (string, error) {
	debug.SetGCPercent(400)
	debug.SetMemoryLimit(768 << 20)
	defer debug.SetGCPercent(100)
	defer debug.SetMemoryLimit(math.MaxInt64)
	start := time.Now()
	p, err := render.Load(platform)
	if err != nil {
		return "", err
	}
	load := time.Since(start)
	start = time.Now()
	t, err := render.Model(p, render.Emitters())
	if err != nil {
		return "", err
	}
	emit := time.Since(start)
	start = time.Now()
	if _, err := render.Verify(p, t, render.Emitters()); err != nil {
		return "", err
	}
	verify := time.Since(start)
	// The OPA evaluation of the Gatekeeper constraints (render and vet run
	// it alongside the checks; render --check does not).
	start = time.Now()
	if _, err := render.Policies(p, t); err != nil {
		return "", err
	}
	policies := time.Since(start)
	var each []string
	for _, e := range render.Emitters() {
		if _, ok := e.(render.Verifier); !ok {
			continue
		}
		start := time.Now()
		if _, err := render.Verify(p, t, []render.Emitter{e}); err != nil {
			return "", err
		}
		each = append(each, fmt.Sprintf("%s %s", e.Name(), time.Since(start).Round(10*time.Millisecond)))
	}
	start = time.Now()
	if _, err := writer.NewPlan(out, t); err != nil {
		return "", err
	}
	plan := time.Since(start)
	r := func(d time.Duration) string { return d.Round(10 * time.Millisecond).String() }
	return fmt.Sprintf("%s | %s | %s (%s) | %s | %s", r(load), r(emit), r(verify), strings.Join(each, ", "), r(policies), r(plan)), nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

var writtenRE = regexp.MustCompile(`(\d+) written`)
var vetRE = regexp.MustCompile(`(\d+) files`)

func files(out string) string {
	if m := writtenRE.FindStringSubmatch(out); m != nil {
		return m[1] + " written"
	}
	if m := vetRE.FindStringSubmatch(out); m != nil {
		return m[1] + " rendered"
	}
	return ""
}

// measure runs argv, which must exit with code.
func measure(argv []string, code int) (sample, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if cmd.ProcessState == nil {
		return sample{}, fmt.Errorf("%v: %v", argv, err)
	}
	if got := cmd.ProcessState.ExitCode(); got != code {
		return sample{}, fmt.Errorf("%v: exit %d, want %d (%v)\n%s", argv, got, code, err, stderr.String())
	}
	return sample{wall: wall, rss: peakRSS(cmd.ProcessState), out: stdout.String(), err: stderr.String()}, nil
}

func parseSize(s string) (int, int, error) {
	a, b, ok := strings.Cut(strings.TrimSpace(s), "x")
	n, err1 := strconv.Atoi(a)
	m, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("size %q: want SERVICESxENVIRONMENTS", s)
	}
	return n, m, nil
}

func numCPU() int {
	out, _ := exec.Command("nproc").Output()
	n, _ := strconv.Atoi(strings.TrimSpace(string(out)))
	return n
}

func goVersion() string {
	out, _ := exec.Command("go", "version").Output()
	return strings.TrimSpace(string(out))
}
