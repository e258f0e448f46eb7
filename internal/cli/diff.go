package cli

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/pmezard/go-difflib/difflib"
	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/idpgen/idpgen/internal/writer"
)

func newDiff(g *globalOptions, stdout, stderr io.Writer) *cobra.Command {
	var unified, exitCode bool
	cmd := &cobra.Command{
		Use:   "diff",
		Short: "Show what a render would change, per environment and object",
		Long: `diff renders the platform in memory and compares it with the output
directory. Changes are grouped by environment ("base" is shared by all of
them), then listed per object as added, changed or removed. With --unified,
a unified diff of every changed file follows. Nothing is written.

` + exitCodesHelp,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			plan, err := renderTree(g, stderr)
			if err != nil {
				return err
			}
			printDiff(stdout, plan, g.out, unified)
			if exitCode && !plan.InSync() {
				return &exitError{ExitDrift, nil}
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&unified, "unified", "u", false, "also print a unified diff of every changed file")
	cmd.Flags().BoolVar(&exitCode, "exit-code", false, "exit 1 when there are differences")
	return cmd
}

// group is the environment a generated path belongs to.
func group(path string) string {
	if rest, ok := strings.CutPrefix(path, "environments/"); ok {
		env, _, _ := strings.Cut(rest, "/")
		return "environment " + env
	}
	if strings.HasPrefix(path, "base/") {
		return "base (all environments)"
	}
	return "platform"
}

// objectChange is one Kubernetes object (or non-YAML file) that differs.
type objectChange struct {
	verb string // added, changed, removed
	what string // "Deployment shop/storefront" or the file
	path string
}

func printDiff(w io.Writer, plan *writer.Plan, out string, unified bool) {
	if plan.InSync() {
		fmt.Fprintf(w, "no changes: %s is in sync\n", out)
		return
	}
	groups := map[string][]objectChange{}
	for _, c := range plan.Changes {
		if c.State == writer.Foreign && c.New == nil {
			continue // never touched by render
		}
		groups[group(c.Path)] = append(groups[group(c.Path)], objectChanges(c)...)
	}
	names := make([]string, 0, len(groups))
	for k := range groups {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, name := range names {
		fmt.Fprintf(w, "%s:\n", name)
		for _, oc := range groups[name] {
			fmt.Fprintf(w, "  %-8s %-50s %s/%s\n", oc.verb, oc.what, out, oc.path)
		}
	}
	if !unified {
		return
	}
	for _, c := range plan.Changes {
		if c.State == writer.Foreign && c.New == nil {
			continue
		}
		from, to := out+"/"+c.Path, out+"/"+c.Path
		if c.Old == nil {
			from = "/dev/null"
		}
		if c.New == nil {
			to = "/dev/null"
		}
		text, _ := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
			A: difflib.SplitLines(string(c.Old)), B: difflib.SplitLines(string(c.New)),
			FromFile: from, ToFile: to, Context: 3,
		})
		fmt.Fprint(w, text)
	}
}

// objectChanges splits a file change into the objects it adds, changes or
// removes, keyed by kind, namespace and name.
func objectChanges(c writer.Change) []objectChange {
	oldObjs, okOld := objects(c.Old)
	newObjs, okNew := objects(c.New)
	if !okOld || !okNew {
		verb := map[bool]string{true: "added", false: "changed"}[c.Old == nil]
		if c.New == nil {
			verb = "removed"
		}
		return []objectChange{{verb, "file", c.Path}}
	}
	var out []objectChange
	for _, k := range sortedKeys(newObjs) {
		switch old, ok := oldObjs[k]; {
		case !ok:
			out = append(out, objectChange{"added", k, c.Path})
		case !bytes.Equal(old, newObjs[k]):
			out = append(out, objectChange{"changed", k, c.Path})
		}
	}
	for _, k := range sortedKeys(oldObjs) {
		if _, ok := newObjs[k]; !ok {
			out = append(out, objectChange{"removed", k, c.Path})
		}
	}
	return out
}

// objects parses a YAML stream into objects keyed "Kind namespace/name".
func objects(data []byte) (map[string][]byte, bool) {
	out := map[string][]byte{}
	if data == nil {
		return out, true
	}
	for _, doc := range bytes.Split(data, []byte("\n---\n")) {
		var o struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Name      string `json:"name"`
				Namespace string `json:"namespace"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal(doc, &o); err != nil || o.Kind == "" {
			return nil, false
		}
		key := o.Kind
		switch {
		case o.Metadata.Namespace != "":
			key += " " + o.Metadata.Namespace + "/" + o.Metadata.Name
		case o.Metadata.Name != "":
			key += " " + o.Metadata.Name
		}
		out[key] = doc
	}
	return out, true
}

func sortedKeys(m map[string][]byte) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
