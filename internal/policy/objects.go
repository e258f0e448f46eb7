package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strings"
	"sync"

	yamlv3 "go.yaml.in/yaml/v3"
	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"k8s.io/client-go/kubernetes/scheme"
	kusttypes "sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/yaml"

	"github.com/idpgen/idpgen/internal/tree"
)

// Object is one Kubernetes object as the cluster receives it: the
// kustomization that deploys it built, overlays applied.
type Object struct {
	Group, Version, Kind, Namespace, Name string
	// Origin is the file of the tree the object was declared in (a base
	// or an overlay's own resource).
	Origin string
	Obj    map[string]any
}

// ID is "Kind namespace/name" (or "Kind name").
func (o *Object) ID() string {
	if o.Namespace == "" {
		return o.Kind + " " + o.Name
	}
	return o.Kind + " " + o.Namespace + "/" + o.Name
}

// Builder builds kustomizations of a rendered tree the way `kustomize
// build` does, for the features idpgen's emitters use: resources (files
// and directories), labels (with includeTemplates), images, replicas and
// patches (strategic merge, or JSON 6902 with a target). A kustomization
// using anything else is an error, so that an emitter can never make the
// evaluated objects differ from the deployed ones unnoticed (a test
// compares them with krusty's). Directories outside environments/ (the
// bases) are built once and shared by every environment.
type Builder struct {
	t *tree.Tree

	mu    sync.Mutex
	bases map[string]*baseResult
	kusts sync.Map // dir -> *kustomizationResult

	dirsOnce sync.Once
	dirs     []string

	// keep, when set, selects the objects Build decodes by API group and
	// kind (see Only).
	keep func(group, kind string) bool
}

type kustomizationResult struct {
	once sync.Once
	k    *kusttypes.Kustomization
	err  error
}

// Kustomization parses the kustomization.yaml in dir (once).
func (b *Builder) Kustomization(dir string) (*kusttypes.Kustomization, error) {
	v, _ := b.kusts.LoadOrStore(dir, &kustomizationResult{})
	r := v.(*kustomizationResult)
	r.once.Do(func() { r.k, r.err = b.parseKustomization(dir) })
	return r.k, r.err
}

func (b *Builder) parseKustomization(dir string) (*kusttypes.Kustomization, error) {
	kpath := path.Join(dir, "kustomization.yaml")
	data, ok := b.file(kpath)
	if !ok {
		return nil, fmt.Errorf("%s: no kustomization.yaml", dir)
	}
	if m, ok := fastDecode(string(data)); ok {
		for f := range m {
			if !supported[f] {
				return nil, fmt.Errorf("%s: %s is a Kustomize feature the policy evaluation does not apply (internal/policy Builder); teach it, so that policies see what the cluster receives", kpath, f)
			}
		}
		j, err := json.Marshal(m)
		if err != nil {
			return nil, err
		}
		var k kusttypes.Kustomization
		if err := json.Unmarshal(j, &k); err != nil {
			return nil, fmt.Errorf("%s: %w", kpath, err)
		}
		return &k, nil
	}
	// One YAML parse: the node gives both the field names (to refuse
	// what Build does not apply) and the typed Kustomization.
	var doc yamlv3.Node
	if err := yamlv3.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", kpath, err)
	}
	var k kusttypes.Kustomization
	if len(doc.Content) == 0 || doc.Content[0].Kind != yamlv3.MappingNode {
		return nil, fmt.Errorf("%s: not a YAML mapping", kpath)
	}
	top := doc.Content[0]
	for i := 0; i+1 < len(top.Content); i += 2 {
		if f := top.Content[i].Value; !supported[f] {
			return nil, fmt.Errorf("%s: %s is a Kustomize feature the policy evaluation does not apply (internal/policy Builder); teach it, so that policies see what the cluster receives", kpath, f)
		}
	}
	if err := top.Decode(&k); err != nil {
		return nil, fmt.Errorf("%s: %w", kpath, err)
	}
	return &k, nil
}

type baseResult struct {
	once sync.Once
	objs []*Object
	err  error
}

// NewBuilder builds kustomizations of t.
func NewBuilder(t *tree.Tree) *Builder {
	return &Builder{t: t, bases: map[string]*baseResult{}}
}

// Only makes Build leave out the objects keep does not select, by API group
// and kind, read from the document's top-level apiVersion and kind lines
// without decoding it; a patch that targets only left-out objects applies
// to nothing. The policy evaluation builds only what some constraint can
// match or Gatekeeper syncs: most of a platform's objects (ExternalSecrets,
// NetworkPolicies, Argo CD's) are never decoded. Call it before Build.
func (b *Builder) Only(keep func(group, kind string) bool) { b.keep = keep }

// Build builds the kustomization in dir.
func (b *Builder) Build(dir string) ([]*Object, error) {
	if !strings.HasPrefix(dir, "environments/") {
		b.mu.Lock()
		r := b.bases[dir]
		if r == nil {
			r = &baseResult{}
			b.bases[dir] = r
		}
		b.mu.Unlock()
		r.once.Do(func() { r.objs, r.err = b.build(dir) })
		if r.err != nil {
			return nil, r.err
		}
		out := make([]*Object, len(r.objs))
		for i, o := range r.objs {
			c := *o
			c.Obj = deepCopy(o.Obj)
			out[i] = &c
		}
		return out, nil
	}
	return b.build(dir)
}

// kustomizationDirs lists every directory of the tree with a
// kustomization.yaml (once).
func (b *Builder) kustomizationDirs() []string {
	b.dirsOnce.Do(func() {
		for _, f := range b.t.Files() {
			if path.Base(f.Path) == "kustomization.yaml" {
				b.dirs = append(b.dirs, path.Dir(f.Path))
			}
		}
	})
	return b.dirs
}

func (b *Builder) file(p string) ([]byte, bool) {
	f, ok := b.t.Get(p)
	return f.Data, ok
}

// supported are the Kustomization fields Build applies.
var supported = map[string]bool{"apiVersion": true, "kind": true, "resources": true, "labels": true, "images": true, "replicas": true, "patches": true}

func (b *Builder) build(dir string) ([]*Object, error) {
	kpath := path.Join(dir, "kustomization.yaml")
	k, err := b.Kustomization(dir)
	if err != nil {
		return nil, err
	}
	var objs []*Object
	for _, r := range k.Resources {
		p := path.Join(dir, r)
		if data, ok := b.file(p); ok {
			docs, err := b.parseObjects(p, data)
			if err != nil {
				return nil, err
			}
			objs = append(objs, docs...)
			continue
		}
		sub, err := b.Build(p)
		if err != nil {
			return nil, err
		}
		objs = append(objs, sub...)
	}
	for _, l := range k.Labels {
		if l.IncludeSelectors || len(l.FieldSpecs) > 0 || l.IncludeVolumeClaimTemplates {
			return nil, fmt.Errorf("%s: labels: only pairs and includeTemplates are applied by the policy evaluation", kpath)
		}
		for _, o := range objs {
			addLabels(o, l.Pairs, l.IncludeTemplates)
		}
	}
	for _, img := range k.Images {
		for _, o := range objs {
			setImage(o.Obj, img)
		}
	}
	for _, r := range k.Replicas {
		for _, o := range objs {
			if o.Name == r.Name && slices.Contains([]string{"Deployment", "ReplicationController", "ReplicaSet", "StatefulSet"}, o.Kind) {
				spec, _ := o.Obj["spec"].(map[string]any)
				if spec == nil {
					spec = map[string]any{}
					o.Obj["spec"] = spec
				}
				spec["replicas"] = float64(r.Count)
			}
		}
	}
	for i, p := range k.Patches {
		if err := b.patch(dir, p, objs); err != nil {
			return nil, fmt.Errorf("%s: patches[%d]: %w", kpath, i, err)
		}
	}
	return objs, nil
}

// parseObjects reads the YAML documents of a file that keep selects.
func (b *Builder) parseObjects(p string, data []byte) ([]*Object, error) {
	var out []*Object
	for i, doc := range splitDocs(data) {
		if b.keep != nil {
			if group, kind, ok := header(doc); ok && !b.keep(group, kind) {
				continue
			}
		}
		m, err := decodeDoc(doc)
		if err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", p, i+1, err)
		}
		if m == nil {
			continue
		}
		o, err := newObject(p, m)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

func newObject(origin string, m map[string]any) (*Object, error) {
	apiVersion, _ := m["apiVersion"].(string)
	kind, _ := m["kind"].(string)
	meta, _ := m["metadata"].(map[string]any)
	name, _ := meta["name"].(string)
	if apiVersion == "" || kind == "" || name == "" {
		return nil, fmt.Errorf("%s: a document without apiVersion, kind or metadata.name", origin)
	}
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", origin, err)
	}
	ns, _ := meta["namespace"].(string)
	return &Object{Group: gv.Group, Version: gv.Version, Kind: kind, Namespace: ns, Name: name, Origin: origin, Obj: m}, nil
}

// header reads a document's API group and kind from its top-level
// apiVersion and kind lines, as idpgen writes them (plain or quoted
// scalars); ok is false when it cannot tell, and the document is decoded.
func header(doc []byte) (group, kind string, ok bool) {
	var apiVersion string
	for line := range bytes.SplitSeq(doc, []byte("\n")) {
		if v, found := bytes.CutPrefix(line, []byte("apiVersion:")); found {
			apiVersion = scalar(v)
		} else if v, found := bytes.CutPrefix(line, []byte("kind:")); found {
			kind = scalar(v)
		}
	}
	if apiVersion == "" || kind == "" {
		return "", "", false
	}
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return "", "", false
	}
	return gv.Group, kind, true
}

// scalar is a plain or quoted one-line scalar without escapes; "" for
// anything else.
func scalar(v []byte) string {
	s := strings.TrimSpace(string(v))
	if len(s) >= 2 && (s[0] == '\'' || s[0] == '"') && s[len(s)-1] == s[0] {
		s = s[1 : len(s)-1]
		if strings.ContainsAny(s, "\\'\"") {
			return ""
		}
		return s
	}
	if s == "" || strings.ContainsAny(s, "#&*!|>'\"%@`{}[],") {
		return ""
	}
	return s
}

func splitDocs(data []byte) [][]byte {
	var out [][]byte
	for doc := range bytes.SplitSeq(data, []byte("\n---\n")) {
		if len(bytes.TrimSpace(doc)) > 0 {
			// The separator took the document's last line break, which a
			// block scalar at its end keeps.
			if !bytes.HasSuffix(doc, []byte("\n")) {
				doc = append(doc[:len(doc):len(doc)], '\n')
			}
			out = append(out, doc)
		}
	}
	return out
}

// templateLabelPaths are where includeTemplates puts labels, by kind
// (kustomize's templateLabels field specs).
var templateLabelPaths = map[string][][]string{
	"ReplicationController": {{"spec", "template", "metadata", "labels"}},
	"Deployment":            {{"spec", "template", "metadata", "labels"}},
	"ReplicaSet":            {{"spec", "template", "metadata", "labels"}},
	"DaemonSet":             {{"spec", "template", "metadata", "labels"}},
	"StatefulSet":           {{"spec", "template", "metadata", "labels"}},
	"Job":                   {{"spec", "template", "metadata", "labels"}},
	"CronJob":               {{"spec", "jobTemplate", "metadata", "labels"}, {"spec", "jobTemplate", "spec", "template", "metadata", "labels"}},
}

func addLabels(o *Object, pairs map[string]string, templates bool) {
	paths := [][]string{{"metadata", "labels"}}
	if templates {
		paths = append(paths, templateLabelPaths[o.Kind]...)
	}
	for _, p := range paths {
		m := o.Obj
		for _, k := range p {
			next, ok := m[k].(map[string]any)
			if !ok {
				next = map[string]any{}
				m[k] = next
			}
			m = next
		}
		for k, v := range pairs {
			m[k] = v
		}
	}
}

// setImage applies an images entry to every container list of the object
// (kustomize's image transformer, without field specs, does the same).
func setImage(v any, img kusttypes.Image) {
	switch x := v.(type) {
	case map[string]any:
		for k, child := range x {
			if list, ok := child.([]any); ok && (k == "containers" || k == "initContainers") {
				for _, c := range list {
					if cm, ok := c.(map[string]any); ok {
						if s, ok := cm["image"].(string); ok {
							cm["image"] = newImage(s, img)
						}
					}
				}
				continue
			}
			setImage(child, img)
		}
	case []any:
		for _, child := range x {
			setImage(child, img)
		}
	}
}

func newImage(ref string, img kusttypes.Image) string {
	name, tag, digest := ref, "", ""
	if i := strings.Index(name, "@"); i >= 0 {
		name, digest = name[:i], name[i:]
	}
	if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") {
		name, tag = name[:i], name[i:]
	}
	if name != img.Name {
		return ref
	}
	if img.NewName != "" {
		name = img.NewName
	}
	switch {
	case img.Digest != "":
		return name + "@" + img.Digest
	case img.NewTag != "":
		return name + ":" + img.NewTag
	}
	return name + tag + digest
}

func (b *Builder) patch(dir string, p kusttypes.Patch, objs []*Object) error {
	content := []byte(p.Patch)
	if p.Path != "" {
		data, ok := b.file(path.Join(dir, p.Path))
		if !ok {
			return fmt.Errorf("%s: no such file in the tree", p.Path)
		}
		content = data
	}
	if p.Options != nil {
		return fmt.Errorf("patch options are not applied by the policy evaluation")
	}
	trimmed := bytes.TrimSpace(stripComments(content))
	if bytes.HasPrefix(trimmed, []byte("[")) || bytes.HasPrefix(trimmed, []byte("- ")) {
		if p.Target == nil {
			return fmt.Errorf("a JSON 6902 patch needs a target")
		}
		data := trimmed
		if trimmed[0] != '[' { // a YAML list
			var err error
			if data, err = yaml.YAMLToJSON(content); err != nil {
				return err
			}
		}
		var ops []patchOp
		if err := json.Unmarshal(data, &ops); err != nil {
			return err
		}
		for _, o := range objs {
			if !targets(p.Target, o) {
				continue
			}
			obj, err := applyJSONPatch(o.Obj, ops)
			if err != nil {
				return fmt.Errorf("%s: %w", o.ID(), err)
			}
			o.Obj = obj
		}
		return nil
	}
	docs, err := b.parseObjects(p.Path, content)
	if err != nil {
		return err
	}
	for _, d := range docs {
		for _, o := range objs {
			switch {
			case p.Target != nil && !targets(p.Target, o):
				continue
			case p.Target == nil && (o.Kind != d.Kind || o.Name != d.Name || o.Group != d.Group || (d.Namespace != "" && d.Namespace != o.Namespace)):
				continue
			}
			patch := deepCopy(d.Obj)
			if p.Target != nil {
				// The target names the object, not the patch.
				delete(patch, "metadata")
			}
			merged, err := strategicMerge(o, patch)
			if err != nil {
				return fmt.Errorf("%s: %w", o.ID(), err)
			}
			o.Obj = merged
		}
	}
	return nil
}

func stripComments(data []byte) []byte {
	var out []byte
	for line := range bytes.SplitSeq(data, []byte("\n")) {
		if bytes.HasPrefix(bytes.TrimSpace(line), []byte("#")) {
			continue
		}
		out = append(out, line...)
		out = append(out, '\n')
	}
	return out
}

func targets(t *kusttypes.Selector, o *Object) bool {
	if t.LabelSelector != "" || t.AnnotationSelector != "" {
		return false
	}
	return (t.Group == "" || t.Group == o.Group) && (t.Version == "" || t.Version == o.Version) &&
		(t.Kind == "" || t.Kind == o.Kind) && (t.Name == "" || t.Name == o.Name) &&
		(t.Namespace == "" || t.Namespace == o.Namespace)
}

// strategicMerge applies a strategic-merge patch with the merge keys of
// the kind's Go type (containers by name, env by name), as kustomize
// does with the OpenAPI schema; kinds without a Go type (custom
// resources) are merged as JSON merge patches, as kustomize does.
func strategicMerge(o *Object, patch map[string]any) (map[string]any, error) {
	gvk := schema.GroupVersionKind{Group: o.Group, Version: o.Version, Kind: o.Kind}
	typed, err := scheme.Scheme.New(gvk)
	if err != nil {
		doc, err := json.Marshal(o.Obj)
		if err != nil {
			return nil, err
		}
		pj, err := json.Marshal(patch)
		if err != nil {
			return nil, err
		}
		merged, err := jsonpatch.MergePatch(doc, pj)
		if err != nil {
			return nil, err
		}
		var m map[string]any
		return m, json.Unmarshal(merged, &m)
	}
	meta, err := strategicpatch.NewPatchMetaFromStruct(typed)
	if err != nil {
		return nil, err
	}
	return strategicpatch.StrategicMergeMapPatchUsingLookupPatchMeta(o.Obj, patch, meta)
}

func deepCopy(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = deepCopyValue(v)
	}
	return out
}

func deepCopyValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return deepCopy(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepCopyValue(e)
		}
		return out
	}
	return v
}
