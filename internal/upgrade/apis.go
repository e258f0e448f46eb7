package upgrade

import (
	"bytes"
	"strings"

	"github.com/idpgen/idpgen/internal/eksversions"
	"github.com/idpgen/idpgen/internal/tree"
)

// APISource is where the removed API versions come from.
const APISource = "https://kubernetes.io/docs/reference/using-api/deprecation-guide/"

// RemovedAPI is an API version (of some kinds, or all) that Kubernetes
// stops serving at a minor.
type RemovedAPI struct {
	GroupVersion string
	Kinds        []string // empty: every kind of the group version
	Removed      int      // the minor that no longer serves it (25 = 1.25)
	Use          string   // the replacement
}

// RemovedAPIs is the table, from the Deprecated API Migration Guide
// (APISource; the 1.16, 1.22 and 1.25 sections read in kubernetes/website,
// 1.26 to 1.32 as summarised from the same guide in the team reference).
// Every API version in it was deprecated first: Kubernetes' deprecation
// policy removes a beta API no sooner than three minors after deprecating
// it, so an API version is reported as deprecated within the three minors
// before its removal (see Status).
var RemovedAPIs = []RemovedAPI{
	{"extensions/v1beta1", []string{"DaemonSet", "Deployment", "ReplicaSet"}, 16, "apps/v1"},
	{"extensions/v1beta1", []string{"NetworkPolicy"}, 16, "networking.k8s.io/v1"},
	{"extensions/v1beta1", []string{"PodSecurityPolicy"}, 16, "policy/v1beta1 (itself removed in 1.25: use Pod Security Admission)"},
	{"apps/v1beta1", nil, 16, "apps/v1"},
	{"apps/v1beta2", nil, 16, "apps/v1"},
	{"extensions/v1beta1", []string{"Ingress"}, 22, "networking.k8s.io/v1"},
	{"networking.k8s.io/v1beta1", []string{"Ingress", "IngressClass"}, 22, "networking.k8s.io/v1"},
	{"admissionregistration.k8s.io/v1beta1", nil, 22, "admissionregistration.k8s.io/v1"},
	{"apiextensions.k8s.io/v1beta1", nil, 22, "apiextensions.k8s.io/v1"},
	{"apiregistration.k8s.io/v1beta1", nil, 22, "apiregistration.k8s.io/v1"},
	{"authentication.k8s.io/v1beta1", nil, 22, "authentication.k8s.io/v1"},
	{"authorization.k8s.io/v1beta1", nil, 22, "authorization.k8s.io/v1"},
	{"certificates.k8s.io/v1beta1", nil, 22, "certificates.k8s.io/v1"},
	{"coordination.k8s.io/v1beta1", nil, 22, "coordination.k8s.io/v1"},
	{"rbac.authorization.k8s.io/v1beta1", nil, 22, "rbac.authorization.k8s.io/v1"},
	{"scheduling.k8s.io/v1beta1", nil, 22, "scheduling.k8s.io/v1"},
	{"storage.k8s.io/v1beta1", []string{"CSIDriver", "CSINode", "StorageClass", "VolumeAttachment"}, 22, "storage.k8s.io/v1"},
	{"batch/v1beta1", []string{"CronJob"}, 25, "batch/v1"},
	{"discovery.k8s.io/v1beta1", nil, 25, "discovery.k8s.io/v1"},
	{"events.k8s.io/v1beta1", nil, 25, "events.k8s.io/v1"},
	{"autoscaling/v2beta1", nil, 25, "autoscaling/v2"},
	{"policy/v1beta1", []string{"PodDisruptionBudget"}, 25, "policy/v1"},
	{"policy/v1beta1", []string{"PodSecurityPolicy"}, 25, "Pod Security Admission (namespace labels)"},
	{"node.k8s.io/v1beta1", nil, 25, "node.k8s.io/v1"},
	{"autoscaling/v2beta2", nil, 26, "autoscaling/v2"},
	{"flowcontrol.apiserver.k8s.io/v1beta1", nil, 26, "flowcontrol.apiserver.k8s.io/v1"},
	{"storage.k8s.io/v1beta1", []string{"CSIStorageCapacity"}, 27, "storage.k8s.io/v1"},
	{"flowcontrol.apiserver.k8s.io/v1beta2", nil, 29, "flowcontrol.apiserver.k8s.io/v1"},
	{"flowcontrol.apiserver.k8s.io/v1beta3", nil, 32, "flowcontrol.apiserver.k8s.io/v1"},
}

// deprecationWindow is how many minors before its removal an API version
// is certainly deprecated (the deprecation policy's minimum for beta APIs).
const deprecationWindow = 3

// byGroupVersion indexes RemovedAPIs: the scan looks up every apiVersion
// it meets, and almost none is in the table.
var byGroupVersion = func() map[string][]RemovedAPI {
	m := map[string][]RemovedAPI{}
	for _, r := range RemovedAPIs {
		m[r.GroupVersion] = append(m[r.GroupVersion], r)
	}
	return m
}()

// APIStatus is what a Kubernetes minor does with an API version.
type APIStatus int

const (
	Served APIStatus = iota
	Deprecated
	Removed
)

// Status is what minor (35 for 1.35) does with apiVersion of kind, and the
// table row that says so.
func Status(apiVersion, kind string, minor int) (APIStatus, RemovedAPI) {
	for _, r := range byGroupVersion[apiVersion] {
		if len(r.Kinds) > 0 && !contains(r.Kinds, kind) {
			continue
		}
		switch {
		case minor >= r.Removed:
			return Removed, r
		case minor >= r.Removed-deprecationWindow:
			return Deprecated, r
		}
	}
	return Served, RemovedAPI{}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Object is one apiVersion/kind pair found in a rendered YAML file: a
// document's own, or one nested in it (an object an add-on's values carry,
// such as a chart's extraObjects).
type Object struct {
	Path       string // below generated/
	Line       int
	APIVersion string
	Kind       string
}

// ScanFile finds the objects in one YAML file whose apiVersion is in the
// table. It reads the text rather than decoding YAML: it runs on every
// file of every render, and only lines starting with "apiVersion:" (after
// indentation and a list dash) are looked at; a kind is looked up only for
// the rare apiVersion the table knows.
func ScanFile(path string, data []byte) []Object {
	var out []Object
	const key = "apiVersion:"
	for off := 0; ; {
		i := bytes.Index(data[off:], []byte(key))
		if i < 0 {
			return out
		}
		at := off + i
		off = at + len(key)
		start := bytes.LastIndexByte(data[:at], '\n') + 1
		prefix := strings.TrimLeft(string(data[start:at]), " ")
		if prefix != "" && prefix != "- " {
			continue // inside a value, not a key
		}
		end := bytes.IndexByte(data[at:], '\n')
		if end < 0 {
			end = len(data) - at
		}
		gv := unquote(strings.TrimSpace(string(data[off : at+end])))
		if byGroupVersion[gv] == nil {
			continue
		}
		col := at - start
		out = append(out, Object{Path: path, Line: bytes.Count(data[:at], []byte("\n")) + 1, APIVersion: gv, Kind: kindNear(data, start, at+end, col)})
	}
}

// kindNear finds "kind:" at column col in the mapping around the line
// [lineStart, lineEnd): the lines before and after it up to one indented
// less.
func kindNear(data []byte, lineStart, lineEnd, col int) string {
	lines := func(from int, forward bool) string {
		for pos := from; ; {
			var s, e int
			if forward {
				if pos >= len(data) {
					return ""
				}
				s = pos
				e = bytes.IndexByte(data[s:], '\n')
				if e < 0 {
					e = len(data)
				} else {
					e += s
				}
				pos = e + 1
			} else {
				if pos <= 0 {
					return ""
				}
				e = pos - 1
				s = bytes.LastIndexByte(data[:e], '\n') + 1
				pos = s
			}
			line := string(data[s:e])
			trimmed := strings.TrimLeft(line, " ")
			if trimmed == "" || strings.HasPrefix(trimmed, "#") {
				continue
			}
			indent := len(line) - len(trimmed)
			itemStart := false
			if strings.HasPrefix(trimmed, "- ") {
				if indent+2 == col && forward {
					return "" // the next item of a list
				}
				indent += 2
				trimmed = trimmed[2:]
				itemStart = indent == col // the first key of our item
			}
			if itemStart && !strings.HasPrefix(trimmed, "kind:") {
				return ""
			}
			if indent < col || trimmed == "---" {
				return ""
			}
			if indent == col && strings.HasPrefix(trimmed, "kind:") {
				return unquote(strings.TrimSpace(trimmed[len("kind:"):]))
			}
		}
	}
	if k := lines(lineEnd+1, true); k != "" {
		return k
	}
	if bytes.HasPrefix(bytes.TrimLeft(data[lineStart:lineEnd], " "), []byte("- ")) {
		return "" // apiVersion starts its list item: nothing before it is ours
	}
	return lines(lineStart, false)
}

func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return s
}

// Finding is an object whose API version a minor deprecates or removes.
type Finding struct {
	Object
	Status APIStatus
	Row    RemovedAPI
	Minor  int
}

// ScanTree checks every YAML file of t against the minor minorFor gives its
// path (false: the file is not checked).
func ScanTree(t *tree.Tree, minorFor func(path string) (int, bool)) []Finding {
	var out []Finding
	for _, f := range t.Files() {
		if !strings.HasSuffix(f.Path, ".yaml") && !strings.HasSuffix(f.Path, ".yml") {
			continue
		}
		if !bytes.Contains(f.Data, []byte("apiVersion:")) {
			continue
		}
		objs := ScanFile(f.Path, f.Data)
		if len(objs) == 0 {
			continue
		}
		minor, ok := minorFor(f.Path)
		if !ok {
			continue
		}
		for _, o := range objs {
			if st, row := Status(o.APIVersion, o.Kind, minor); st != Served {
				out = append(out, Finding{o, st, row, minor})
			}
		}
	}
	return out
}

// describe is the finding's sentence.
func (f Finding) describe() string {
	what := f.APIVersion
	if f.Kind != "" {
		what += " " + f.Kind
	}
	if f.Status == Removed {
		return what + " is no longer served since Kubernetes " + eksversions.Minor(f.Row.Removed) + "; use " + f.Row.Use
	}
	return what + " is deprecated and removed in Kubernetes " + eksversions.Minor(f.Row.Removed) + "; use " + f.Row.Use
}
