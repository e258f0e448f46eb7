package model

import (
	"encoding/json"
	"fmt"
	"maps"
)

// Workload is a service as it runs in one environment: the service's
// settings with that environment's override applied and defaults resolved.
type Workload struct {
	Service     *Service
	Environment *Environment

	Image       Image
	Replicas    int // fixed count; the HPA's minimum when Autoscaling is set
	Resources   Resources
	Env         map[string]string
	Autoscaling *Autoscaling
	StorageGiB  int

	// Disruption is the PDB the service declares for this environment (the
	// override's replaces the service's); nil leaves it to the tier (see
	// PDB).
	Disruption *Disruption
	// VerticalScaling is what the service declares for this environment
	// (the override's fields over the service's); nil when neither says
	// anything (see VPA).
	VerticalScaling *VerticalScaling
}

// Enabled reports whether the service is deployed to env at all.
func (s *Service) Enabled(env string) bool {
	o, ok := s.Overrides[env]
	return !ok || o.Enabled == nil || *o.Enabled
}

// In resolves the service for one environment: the override's fields
// replace the service's, one by one; env is merged by variable name.
func (s *Service) In(env *Environment) Workload {
	w := Workload{
		Service:     s,
		Environment: env,
		Image:       s.Image,
		Replicas:    env.Sizing.DefaultReplicas,
		Resources:   s.Resources,
		Env:         s.Env,
		Autoscaling: s.Autoscaling,

		Disruption:      s.Disruption,
		VerticalScaling: s.VerticalScaling,
	}
	if s.Replicas != nil {
		w.Replicas = *s.Replicas
	}
	if s.Storage != nil {
		w.StorageGiB = s.Storage.SizeGiB
	}
	if o, ok := s.Overrides[env.Name]; ok {
		o.apply(&w)
	}
	if w.Autoscaling != nil {
		w.Replicas = int(w.Autoscaling.MinReplicas)
	}
	return w
}

func (o Override) apply(w *Workload) {
	if o.Image != nil {
		// A tag override must not keep a digest pinned by the service, or
		// the tag would silently be ignored.
		w.Image.Tag, w.Image.Digest = o.Image.Tag, o.Image.Digest
	}
	if o.Replicas != nil {
		w.Replicas = *o.Replicas
	}
	if r := o.Resources; r != nil {
		set(&w.Resources.Requests.CPUMillis, r.Requests.CPUMillis)
		set(&w.Resources.Requests.MemoryMiB, r.Requests.MemoryMiB)
		set(&w.Resources.Limits.CPUMillis, r.Limits.CPUMillis)
		set(&w.Resources.Limits.MemoryMiB, r.Limits.MemoryMiB)
	}
	if len(o.Env) > 0 {
		w.Env = maps.Clone(w.Env)
		if w.Env == nil {
			w.Env = map[string]string{}
		}
		maps.Copy(w.Env, o.Env)
	}
	if a := o.Autoscaling; a != nil {
		// Turning autoscaling on in one environment starts from the
		// schema's defaults.
		merged := Autoscaling{MinReplicas: 2}
		if w.Autoscaling != nil {
			merged = *w.Autoscaling
		}
		set(&merged.MinReplicas, a.MinReplicas)
		set(&merged.MaxReplicas, a.MaxReplicas)
		if a.TargetCPUUtilization != nil {
			merged.TargetCPUUtilization = a.TargetCPUUtilization
		}
		if a.TargetMemoryUtilization != nil {
			merged.TargetMemoryUtilization = a.TargetMemoryUtilization
		}
		if a.Behavior != nil {
			merged.Behavior = a.Behavior.over(merged.Behavior)
		}
		w.Autoscaling = &merged
	}
	if o.Disruption != nil {
		w.Disruption = o.Disruption
	}
	if o.VerticalScaling != nil {
		w.VerticalScaling = o.VerticalScaling.over(w.VerticalScaling)
	}
	if o.Storage != nil && o.Storage.SizeGiB > 0 {
		w.StorageGiB = o.Storage.SizeGiB
	}
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// DefaultWritableSizeMiB bounds a writable path that sets no size limit
// (the schema documents it): the same as /tmp.
const DefaultWritableSizeMiB = 256

// WritablePath is a directory the container may write to, backed by an
// emptyDir volume. The schema accepts a bare path or {path, sizeLimitMiB}.
type WritablePath struct {
	Path         string `json:"path"`
	SizeLimitMiB int    `json:"sizeLimitMiB"`
}

// UnmarshalJSON reads either form and applies the default size limit, so
// that the rest of idpgen sees one shape.
func (w *WritablePath) UnmarshalJSON(data []byte) error {
	var path string
	if err := json.Unmarshal(data, &path); err == nil {
		*w = WritablePath{Path: path, SizeLimitMiB: DefaultWritableSizeMiB}
		return nil
	}
	var full struct {
		Path         string `json:"path"`
		SizeLimitMiB *int   `json:"sizeLimitMiB"`
	}
	if err := json.Unmarshal(data, &full); err != nil {
		return fmt.Errorf("writable path: expected a path or {path, sizeLimitMiB}: %w", err)
	}
	*w = WritablePath{Path: full.Path, SizeLimitMiB: DefaultWritableSizeMiB}
	if full.SizeLimitMiB != nil {
		w.SizeLimitMiB = *full.SizeLimitMiB
	}
	return nil
}

// MinPodsInProd is the fewest pods a service may run in a prod environment
// unless it sets SingleReplicaInProd.
const MinPodsInProd = 2
