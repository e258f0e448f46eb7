// Command lint builds every Kustomize overlay of a rendered tree with
// krusty (the library behind `kubectl kustomize`), so that the manifest
// linter reads what the cluster receives rather than bases and patches, and
// runs kube-score (pinned as a tool in this module's go.mod) over each
// environment's overlays together (one environment at a time: kube-score
// matches HPAs, PDBs and NetworkPolicies to workloads by namespace and
// name, which repeat across environments). Exceptions, each with its
// reason, are in kube-score.exceptions. Any finding fails. A module of its
// own so that the linter's dependencies stay out of idpgen's.
//
// Usage (from this directory): go run . GENERATED_DIR
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: lint GENERATED_DIR")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "lint:", err)
		os.Exit(1)
	}
}

// overlays are the directories Argo CD deploys from an environment: its
// root (cluster, namespaces, services), each service's ExternalSecret, the
// secret stores, and each add-on's own secrets.
var overlays = []string{".", "secrets/*", "platform-secrets", "addons/*/secrets"}

func run(generated string) error {
	exceptions, err := readExceptions("kube-score.exceptions")
	if err != nil {
		return err
	}
	out, err := os.MkdirTemp("", "kube-score-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(out)
	envs, err := filepath.Glob(filepath.Join(generated, "environments", "*"))
	if err != nil {
		return err
	}
	if len(envs) == 0 {
		return fmt.Errorf("no environments under %s", generated)
	}
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	fs := filesys.MakeFsOnDisk()
	findings := 0
	for _, env := range envs {
		var dirs []string
		for _, pattern := range overlays {
			m, _ := filepath.Glob(filepath.Join(env, pattern, "kustomization.yaml"))
			dirs = append(dirs, m...)
		}
		slices.Sort(dirs)
		var files []string
		for _, kf := range dirs {
			dir := filepath.Dir(kf)
			res, err := k.Run(fs, dir)
			if err != nil {
				return fmt.Errorf("%s: %w", dir, err)
			}
			y, err := res.AsYaml()
			if err != nil {
				return fmt.Errorf("%s: %w", dir, err)
			}
			rel, _ := filepath.Rel(generated, dir)
			name := filepath.Join(out, strings.ReplaceAll(rel, string(filepath.Separator), "__")+".yaml")
			if err := os.WriteFile(name, y, 0o644); err != nil {
				return err
			}
			files = append(files, name)
		}
		tier, err := tierOf(env)
		if err != nil {
			return err
		}
		var ignore []string
		for _, e := range exceptions {
			if e.scope == "all" || e.scope == tier {
				ignore = append(ignore, e.test)
			}
		}
		args := append([]string{"tool", "kube-score", "score", "--output-format", "ci", "--exit-one-on-warning",
			"--disable-ignore-checks-annotations", "--ignore-test", strings.Join(ignore, ",")}, files...)
		cmd := exec.Command("go", args...)
		cmd.Stderr = os.Stderr
		report, _ := cmd.Output() // exit 1 means findings: counted below
		for _, line := range strings.Split(string(report), "\n") {
			if line == "" || strings.HasPrefix(line, "[OK]") || strings.HasPrefix(line, "[SKIPPED]") {
				continue
			}
			fmt.Printf("%s: %s\n", filepath.Base(env), line)
			findings++
		}
		fmt.Fprintf(os.Stderr, "kube-score: %s (%s): %d overlays, %d exceptions\n", filepath.Base(env), tier, len(files), len(ignore))
	}
	if findings > 0 {
		return fmt.Errorf("%d kube-score findings: fix the emitter, or add an exception with its reason to kube-score.exceptions", findings)
	}
	return nil
}

type exception struct{ test, scope, reason string }

func readExceptions(name string) ([]exception, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	var out []exception
	for i, line := range strings.Split(string(data), "\n") {
		if line = strings.TrimSpace(line); line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.SplitN(line, " ", 3)
		if len(f) < 3 || strings.TrimSpace(f[2]) == "" || (f[1] != "all" && f[1] != "nonprod") {
			return nil, fmt.Errorf("%s:%d: want <test id> <all|nonprod> <reason>", name, i+1)
		}
		out = append(out, exception{f[0], f[1], f[2]})
	}
	return out, nil
}

// tierOf reads an environment's tier from the tags of its AWS module, the
// one place in the rendered tree that states it.
func tierOf(env string) (string, error) {
	data, err := os.ReadFile(filepath.Join(env, "terraform", "main.tf.json"))
	if err != nil {
		return "", err
	}
	type aws struct {
		DefaultTags struct {
			Tags struct {
				Tier string `json:"tier"`
			} `json:"tags"`
		} `json:"default_tags"`
	}
	var m struct {
		Provider struct {
			// One provider block, or a list when backup regions add
			// aliased ones (Terraform's JSON syntax allows both).
			AWS json.RawMessage `json:"aws"`
		} `json:"provider"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return "", fmt.Errorf("%s: %w", env, err)
	}
	var blocks []aws
	if err := json.Unmarshal(m.Provider.AWS, &blocks); err != nil {
		var one aws
		if err := json.Unmarshal(m.Provider.AWS, &one); err != nil {
			return "", fmt.Errorf("%s: %w", env, err)
		}
		blocks = []aws{one}
	}
	for _, b := range blocks {
		if t := b.DefaultTags.Tags.Tier; t == "prod" || t == "nonprod" {
			return t, nil
		}
	}
	return "", fmt.Errorf("%s: no tier tag in terraform/main.tf.json", env)
}
