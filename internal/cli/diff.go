package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
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
			ps, err := renderTree(g, stderr)
			if err != nil {
				return err
			}
			printDiff(stdout, ps.main, g.out, unified)
			for _, r := range ps.roots {
				if !r.plan.InSync() {
					printDiff(stdout, r.plan, filepath.ToSlash(r.dir), unified)
				}
			}
			if exitCode && !ps.inSync() {
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

// objectChange is one Kubernetes object, Terraform block or other file
// that differs.
type objectChange struct {
	verb     string // added, changed, removed
	what     string // "Deployment shop/storefront", "aws_iam_role.x" or "file"
	path     string
	old, new []byte // the object's text, for -u on Terraform blocks
}

// shown reports whether a change belongs in the diff. The manifest is
// idpgen's record of the tree (hashes of the other files), so it changes
// whenever anything does and says nothing of its own; files render never
// touches are not its changes.
func shown(c writer.Change) bool {
	return c.Path != writer.ManifestName && c.State != writer.Foreign
}

func printDiff(w io.Writer, plan *writer.Plan, out string, unified bool) {
	if plan.InSync() {
		fmt.Fprintf(w, "no changes: %s is in sync\n", out)
		return
	}
	groups := map[string][]objectChange{}
	var foreign []writer.Change
	manifest := false
	for _, c := range plan.Changes {
		switch {
		case shown(c):
			groups[group(c.Path)] = append(groups[group(c.Path)], objectChanges(c)...)
		case c.Path == writer.ManifestName:
			manifest = true
		case !c.Blocks: // blocking ones are listed by printBlocked
			foreign = append(foreign, c)
		}
	}
	// Files idpgen did not generate are not a render's changes, but they
	// are why the tree is out of sync (render --check fails on them): name
	// them rather than blame the manifest.
	if len(groups) == 0 {
		switch {
		case manifest:
			fmt.Fprintf(w, "no changes to objects: only %s/%s, idpgen's record of the tree, differs\n", out, writer.ManifestName)
		case plan.Pending():
			fmt.Fprintf(w, "no changes to objects: an interrupted render is pending in %s; the next render finishes it\n", out)
		default:
			fmt.Fprintf(w, "no changes to objects\n")
		}
		printForeign(w, foreign, out)
		printBlocked(w, plan, out)
		return
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
	printForeign(w, foreign, out)
	printBlocked(w, plan, out)
	if !unified {
		return
	}
	for _, c := range plan.Changes {
		if !shown(c) {
			continue
		}
		name := out + "/" + c.Path
		if blocks, ok := terraformChanges(c); ok {
			// One hunk per Terraform block: a resource reads as a unit,
			// where a file diff would cut it at arbitrary lines.
			for _, b := range blocks {
				printUnified(w, b.old, b.new, name+" "+b.what)
			}
			continue
		}
		printUnified(w, c.Old, c.New, name)
	}
}

// printBlocked says that render would refuse to run, and why, when files
// idpgen did not generate are in the way of the render (at a path it
// renders, above one, or claimed by the manifest): a diff must not promise
// changes that render will not make.
func printBlocked(w io.Writer, plan *writer.Plan, out string) {
	c := plan.Conflicts()
	if len(c) == 0 {
		return
	}
	fmt.Fprintf(w, "render would write nothing: %d file(s) idpgen did not generate are in the way (move them, then render):\n", len(c))
	for _, x := range c {
		why := x.Why
		if why == "" {
			why = "no generated-file marker, where render writes " + x.Path
		}
		fmt.Fprintf(w, "  %s/%s (%s)\n", out, x.Path, why)
	}
}

// printForeign lists the files in the tree that idpgen did not generate
// and that render leaves alone, as render --check reports them.
func printForeign(w io.Writer, foreign []writer.Change, out string) {
	if len(foreign) == 0 {
		return
	}
	fmt.Fprintf(w, "not generated by idpgen (render leaves them alone; render --check fails on them until they are removed, or kept in %s/%s where it may keep them):\n", out, writer.KeepName)
	for _, c := range foreign {
		why := ""
		if c.Why != "" {
			why = " (" + c.Why + ")"
		}
		fmt.Fprintf(w, "  %-8s %s/%s%s\n", c.State, out, c.Path, why)
	}
}

// printUnified prints a unified diff of one file or object; nil is absent.
func printUnified(w io.Writer, old, new []byte, name string) {
	from, to := name, name
	if old == nil {
		from = "/dev/null"
	}
	if new == nil {
		to = "/dev/null"
	}
	text, _ := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: lines(old), B: lines(new),
		FromFile: from, ToFile: to, Context: 3,
	})
	fmt.Fprint(w, text)
}

// lines splits text into lines for difflib, each ending in a newline.
// (difflib.SplitLines adds an empty line after a final newline, and makes
// an absent file one empty line.)
func lines(text []byte) []string {
	out := strings.SplitAfter(string(text), "\n")
	if out[len(out)-1] == "" {
		out = out[:len(out)-1]
	} else {
		out[len(out)-1] += "\n"
	}
	return out
}

// objectChanges splits a file change into the objects it adds, changes or
// removes: Kubernetes objects keyed by kind, namespace and name, Terraform
// blocks by address.
func objectChanges(c writer.Change) []objectChange {
	if blocks, ok := terraformChanges(c); ok {
		return blocks
	}
	oldObjs, okOld := objects(c.Old)
	newObjs, okNew := objects(c.New)
	if !okOld || !okNew {
		return []objectChange{{verb: fileVerb(c), what: "file", path: c.Path}}
	}
	return compare(oldObjs, newObjs, c.Path)
}

func fileVerb(c writer.Change) string {
	switch {
	case c.Old == nil:
		return "added"
	case c.New == nil:
		return "removed"
	}
	return "changed"
}

// compare lists the keys added, changed and removed between two sets of
// objects.
func compare(oldObjs, newObjs map[string][]byte, path string) []objectChange {
	var out []objectChange
	for _, k := range sortedKeys(newObjs) {
		switch old, ok := oldObjs[k]; {
		case !ok:
			out = append(out, objectChange{"added", k, path, nil, newObjs[k]})
		case !bytes.Equal(old, newObjs[k]):
			out = append(out, objectChange{"changed", k, path, old, newObjs[k]})
		}
	}
	for _, k := range sortedKeys(oldObjs) {
		if _, ok := newObjs[k]; !ok {
			out = append(out, objectChange{"removed", k, path, oldObjs[k], nil})
		}
	}
	return out
}

// terraformChanges splits a change of a .tf.json file into its blocks;
// false when it is not one or either side does not parse.
func terraformChanges(c writer.Change) ([]objectChange, bool) {
	if !strings.HasSuffix(c.Path, ".tf.json") {
		return nil, false
	}
	oldBlocks, okOld := terraformBlocks(c.Old)
	newBlocks, okNew := terraformBlocks(c.New)
	if !okOld || !okNew {
		return nil, false
	}
	return compare(oldBlocks, newBlocks, c.Path), true
}

// terraformBlocks parses Terraform's JSON syntax into blocks keyed by the
// address Terraform prints (aws_iam_role.x, data.aws_iam_policy_document.x,
// module.x, var.x, local.x, output.x), each indented on its own. Blocks of
// other types (terraform, provider) are one unit each.
func terraformBlocks(data []byte) (map[string][]byte, bool) {
	out := map[string][]byte{}
	if data == nil {
		return out, true
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, false
	}
	for typ, body := range top {
		if typ == "//" {
			continue // the generated-file comment
		}
		prefix := map[string]string{"data": "data.", "module": "module.", "variable": "var.", "locals": "local.", "output": "output."}[typ]
		switch {
		case typ == "resource" || typ == "data":
			var kinds map[string]map[string]json.RawMessage
			if err := json.Unmarshal(body, &kinds); err != nil {
				return nil, false
			}
			for kind, named := range kinds {
				for name, b := range named {
					out[prefix+kind+"."+name] = indent(b)
				}
			}
		case prefix != "":
			var named map[string]json.RawMessage
			if err := json.Unmarshal(body, &named); err != nil {
				return nil, false
			}
			for name, b := range named {
				out[prefix+name] = indent(b)
			}
		default:
			out[typ] = indent(body)
		}
	}
	return out, true
}

// indent re-indents a block cut out of an indented file, so that its diff
// reads like the file.
func indent(raw json.RawMessage) []byte {
	var b bytes.Buffer
	if err := json.Indent(&b, bytes.TrimSpace(raw), "", "  "); err != nil {
		return raw
	}
	b.WriteByte('\n')
	return b.Bytes()
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
