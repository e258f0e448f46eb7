package validate

import (
	"fmt"
	"path"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/errors"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	k8svalidation "k8s.io/apimachinery/pkg/util/validation"

	"github.com/idpgen/idpgen/internal/diag"
	"github.com/idpgen/idpgen/internal/emit/kustomize"
	"github.com/idpgen/idpgen/internal/model"
)

// workload checks what the Kubernetes objects of a service need beyond its
// CUE: writable paths that can all be mounted, enough pods in prod, and
// annotations the API server accepts.
func workload(p *model.Platform, svc *model.Service, add func(errors.Error)) {
	at := func(sel, format string, args ...any) { add(diag.At(svc.Src, sel, format, args...)) }

	// Every mount of the pod, by path, to find paths that repeat or nest.
	type mount struct{ path, what string }
	var mounts []mount
	for _, r := range kustomize.ReservedMounts {
		mounts = append(mounts, mount{r, r + ", which every pod mounts writable"})
	}
	if svc.Storage != nil {
		mounts = append(mounts, mount{svc.Storage.MountPath, "storage.mountPath " + svc.Storage.MountPath})
	}
	for i, w := range svc.WritablePaths {
		sel := fmt.Sprintf("writablePaths[%d]", i)
		p := w.Path
		if !strings.HasPrefix(p, "/") || p == "/" || path.Clean(p) != p || len(p) > maxPathLen {
			at(sel, "%q is not a writable path: expected a clean absolute path below / (no \".\" or \"..\" segment, no trailing slash, at most %d bytes)", p, maxPathLen)
			continue
		}
		if sys := systemDir(p); sys != "" {
			at(sel, "%s is under %s, which the container runtime owns; it cannot be a volume", p, sys)
			continue
		}
		for _, m := range mounts {
			if m.path == p {
				at(sel, "%s is already mounted: it is %s", p, m.what)
				break
			}
			if within(p, m.path) || within(m.path, p) {
				at(sel, "%s overlaps %s; mounts must not contain one another", p, m.what)
				break
			}
		}
		mounts = append(mounts, mount{p, fmt.Sprintf("writablePaths[%d] %s", i, p)})
	}

	for _, env := range p.EnvironmentList {
		if env.Prod() && svc.Enabled(env.Name) && !svc.SingleReplicaInProd {
			if sel := singlePodSource(svc, svc.In(env)); sel != "" {
				at(sel, "the service runs a single pod in %s environment %q: no availability during a node drain or a node or zone loss; run at least %d, or set singleReplicaInProd: true to accept it", env.Tier, env.Name, model.MinPodsInProd)
			}
		}
	}

	// The annotations idpgen writes from the model must fit the API
	// server's limit, or every object of the service would be refused.
	// (Owners too large on their own are the team's error, see labelValues.)
	ann := map[string]string{"kubernetes.io/description": svc.Description}
	if t := p.Teams[svc.Team]; t != nil && apivalidation.ValidateAnnotationsSize(map[string]string{kustomize.AnnotationOwners: kustomize.Owners(t)}) == nil {
		ann[kustomize.AnnotationOwners] = kustomize.Owners(t)
	}
	if err := apivalidation.ValidateAnnotationsSize(ann); err != nil {
		at("description", "the description and the team's owners become annotations, and they are too large: %v", err)
	}
}

// singlePodSource is the field (a selector below the service) that makes
// the service run one pod in w's environment, or "" when it runs more, or
// when one pod only comes from the environment's sizing.defaultReplicas,
// which is the environment's decision, not the service's.
func singlePodSource(svc *model.Service, w model.Workload) string {
	if w.Replicas != 1 {
		return ""
	}
	o := svc.Overrides[w.Environment.Name]
	override := "overrides." + cue.Str(w.Environment.Name).String()
	switch {
	case w.Autoscaling != nil && o.Autoscaling != nil && o.Autoscaling.MinReplicas != nil:
		return override + ".autoscaling.minReplicas"
	case w.Autoscaling != nil:
		return "autoscaling.minReplicas"
	case o.Replicas != nil:
		return override + ".replicas"
	case svc.Replicas != nil:
		return "replicas"
	}
	return ""
}

// maxPathLen bounds a mount path (PATH_MAX of Linux is 4096).
const maxPathLen = 1024

// systemDir is the runtime-owned tree p lies in, if any.
func systemDir(p string) string {
	for _, d := range []string{"/proc", "/sys", "/dev"} {
		if p == d || within(p, d) {
			return d
		}
	}
	return ""
}

// within reports whether p lies strictly below dir.
func within(p, dir string) bool { return strings.HasPrefix(p, dir+"/") }

// labelValues checks the team's free-text values that idpgen writes into
// labels and annotations of its namespaces (names are already constrained
// by the schema).
func labelValues(p *model.Platform, add func(errors.Error)) {
	for _, t := range p.TeamList {
		if msgs := k8svalidation.IsValidLabelValue(t.CostCenter); t.CostCenter != "" && len(msgs) > 0 {
			add(diag.At(t.Src, "costCenter", "%q labels the team's namespaces and must be a valid Kubernetes label value: %s", t.CostCenter, strings.Join(msgs, "; ")))
		}
		if err := apivalidation.ValidateAnnotationsSize(map[string]string{kustomize.AnnotationOwners: kustomize.Owners(t)}); err != nil {
			add(diag.At(t.Src, "owners", "the owners become an annotation of the team's namespaces, and they are too large: %v", err))
		}
	}
}
