// Command idpgen-bench measures idpgen on synthetic platforms (`make bench`).
// It builds the real binaries, generates N services x M environments, and
// reports wall time and peak memory of each command as a separate process,
// with `cue export` of the same input as the reference cost of evaluating
// the CUE alone. It is a benchmark, not a test: it asserts nothing, but
// marks each figure against the targets.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/idpgen/idpgen/internal/synth"
)

func main() {
	sizes := flag.String("sizes", "100x3,1000x3,1000x4", "comma-separated SERVICESxENVIRONMENTS")
	runs := flag.Int("runs", 3, "runs per measurement (the median is reported)")
	work := flag.String("dir", ".bench", "scratch directory inside the repository's CUE module")
	flag.Parse()
	if err := run(*sizes, *runs, *work); err != nil {
		fmt.Fprintln(os.Stderr, "idpgen-bench:", err)
		os.Exit(1)
	}
}

type sample struct {
	wall time.Duration
	rss  int64 // bytes
	out  string
}

func run(sizes string, runs int, work string) error {
	if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	idpgen, cue := filepath.Join(work, "idpgen"), filepath.Join(work, "cue")
	for bin, pkg := range map[string]string{idpgen: "./cmd/idpgen", cue: "cuelang.org/go/cmd/cue"} {
		if out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
		}
	}
	fmt.Printf("machine: %d CPUs (GOMAXPROCS default), %s\n\n", numCPU(), goVersion())
	fmt.Println("| services × envs | command | wall (median of", runs, ") | peak RSS | files | target |")
	fmt.Println("|---|---|---|---|---|---|")
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
			{"render (empty tree)", func() { os.RemoveAll(out) }, append([]string{idpgen, "render"}, args...), 10 * time.Second},
			{"render (no change)", nil, append([]string{idpgen, "render"}, args...), 10 * time.Second},
			{"render --check (no change)", nil, append([]string{idpgen, "render", "--check"}, args...), 10 * time.Second / 3},
			{"vet", nil, append([]string{idpgen, "vet"}, args...), 0},
			{"cue export (reference)", nil, []string{cue, "export", "./" + platform}, 0},
		}
		for _, ms := range measures {
			var samples []sample
			for range runs {
				if ms.before != nil {
					ms.before()
				}
				s, err := measure(ms.cmd)
				if err != nil {
					return fmt.Errorf("%s: %w", ms.name, err)
				}
				samples = append(samples, s)
			}
			slices.SortFunc(samples, func(a, b sample) int { return int(a.wall - b.wall) })
			med := samples[len(samples)/2]
			peak := slices.MaxFunc(samples, func(a, b sample) int { return int(a.rss - b.rss) }).rss
			verdict := ""
			if ms.target > 0 && n == 1000 && m == 3 {
				verdict = fmt.Sprintf("< %s", ms.target.Round(10*time.Millisecond))
				if med.wall < ms.target && peak < 1<<30 {
					verdict += " ✓"
				} else {
					verdict += " ✗"
				}
			}
			fmt.Printf("| %d × %d | %s | %s | %d MiB | %s | %s |\n", n, m, ms.name, med.wall.Round(time.Millisecond), peak>>20, files(med.out), verdict)
		}
	}
	return nil
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

func measure(argv []string) (sample, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		return sample{}, fmt.Errorf("%v: %v\n%s", argv, err, stderr.String())
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return sample{wall: wall, rss: ru.Maxrss * 1024, out: stdout.String()}, nil
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
