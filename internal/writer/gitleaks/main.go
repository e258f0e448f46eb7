// Command gitleaks runs gitleaks' detector, with its default rules, over the
// regular files below each directory given as an argument, and prints one
// line per finding: "path:line: rule-id". It exits 1 when there are
// findings. The writer's tests run it over rendered trees (a generated tree
// must pass the standard secret scanners out of the box).
//
// It is a module of its own so that gitleaks and its dependencies (a
// WebAssembly regexp engine, archive readers, viper) never enter idpgen's
// module graph; bump the version in go.mod to test against newer rules.
package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/zricethezav/gitleaks/v8/detect"
)

func main() {
	d, err := detect.NewDetectorDefaultConfig()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var lines []string
	for _, root := range os.Args[1:] {
		err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
			if err != nil || !e.Type().IsRegular() {
				return err
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			for _, f := range d.Detect(detect.Fragment{Raw: string(data), FilePath: filepath.ToSlash(p)}) {
				lines = append(lines, fmt.Sprintf("%s:%d: %s", p, f.StartLine+1, f.RuleID))
			}
			return nil
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	}
	sort.Strings(lines)
	for _, l := range lines {
		fmt.Println(l)
	}
	if len(lines) > 0 {
		os.Exit(1)
	}
}
