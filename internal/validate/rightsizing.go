package validate

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/errors"

	"github.com/idpgen/idpgen/internal/diag"
	"github.com/idpgen/idpgen/internal/ec2types"
	"github.com/idpgen/idpgen/internal/model"
	"github.com/idpgen/idpgen/internal/poolnames"
)

// rightSizing checks each environment's workloads against what its
// Karpenter NodePools can provision (issue 10 §5):
//
//   - every container's requests fit at least one instance type the pool it
//     lands on allows (sizing.karpenter's categories, generation and
//     architectures, offered in the region), after the kubelet and system
//     reservations (ec2types.Allocatable): a pod that fits no node stays
//     Pending forever;
//   - the requests of the services of each NodePool at their largest
//     replica count (the HPA's maxReplicas, else the fixed count) stay
//     within sizing.karpenter.cpuLimit and memoryLimitGiB, which bound the
//     nodes of each pool (Karpenter has no limit across pools; see the
//     karpenter emitter). This is an error, not a warning:
//     the HPA maximum is a promise the cluster could never keep (the
//     requests are a lower bound of the nodes needed), so either the limit
//     or maxReplicas is wrong, and one of them must change.
//
// The instance data is computed once per environment.
func rightSizing(p *model.Platform, add func(errors.Error)) {
	for _, env := range p.EnvironmentList {
		rightSizingIn(p, env, add)
	}
}

// fit is the allocatable CPU and memory of one instance type.
type fit struct {
	name     string
	cpu, mem int64
}

func rightSizingIn(p *model.Platform, env *model.Environment, add func(errors.Error)) {
	k := env.Sizing.Karpenter
	shape := ec2types.Shape{Categories: k.InstanceCategories, MinGeneration: k.MinGeneration, Architectures: k.Architectures}
	shapeText := fmt.Sprintf("categories %s, generation %d or newer, %s, offered in %s", strings.Join(k.InstanceCategories, "/"), k.MinGeneration, strings.Join(k.Architectures, "/"), env.Region)
	var fits []fit
	for _, t := range shape.Offered(env.Region) {
		cpu, mem := ec2types.Allocatable(t)
		fits = append(fits, fit{t.Name, cpu, mem})
	}
	if len(fits) == 0 {
		add(diag.At(env.Src, "sizing.karpenter", "no instance type matches the NodePools' requirements (%s) in the instance data of %s: Karpenter could launch no node", shapeText, ec2types.DataDate))
		return
	}
	largestCPU := slices.MaxFunc(fits, func(a, b fit) int { return cmp.Or(cmp.Compare(a.cpu, b.cpu), cmp.Compare(a.mem, b.mem)) })
	largestMem := slices.MaxFunc(fits, func(a, b fit) int { return cmp.Or(cmp.Compare(a.mem, b.mem), cmp.Compare(a.cpu, b.cpu)) })
	largest := fmt.Sprintf("the largest, %s, offers %dm CPU and %d MiB", largestCPU.name, largestCPU.cpu, largestCPU.mem)
	if largestMem.mem > largestCPU.mem {
		largest = fmt.Sprintf("the most CPU, %s, offers %dm and %d MiB, the most memory, %s, %dm and %d MiB",
			largestCPU.name, largestCPU.cpu, largestCPU.mem, largestMem.name, largestMem.cpu, largestMem.mem)
	}

	type contribution struct {
		name     string
		cpu, mem int64 // at the largest replica count
	}
	type poolLoad struct {
		services []contribution
		cpu, mem int64
	}
	loads := map[string]*poolLoad{poolnames.General: {}, poolnames.OnDemand: {}}
	for _, svc := range p.ServiceList {
		if svc.Invalid || !svc.Enabled(env.Name) {
			continue
		}
		w := svc.In(env)
		req := w.Resources.Requests
		pool := poolnames.General
		if svc.Capacity == "on-demand" {
			pool = poolnames.OnDemand
		}
		if !slices.ContainsFunc(fits, func(f fit) bool { return f.cpu >= req.CPUMillis && f.mem >= req.MemoryMiB }) {
			add(diag.AtPath(svc.Src, requestsSource(svc, env.Name),
				"in %s, the requests (%dm CPU, %d MiB) fit no instance type the %q NodePool allows (%s): %s after kubelet and system reservations; lower the requests or widen sizing.karpenter",
				env.Name, req.CPUMillis, req.MemoryMiB, pool, shapeText, largest))
		}
		n := int64(w.Replicas)
		if w.Autoscaling != nil {
			n = int64(w.Autoscaling.MaxReplicas)
		}
		c := contribution{svc.Name, n * req.CPUMillis, n * req.MemoryMiB}
		l := loads[pool]
		l.cpu += c.cpu
		l.mem += c.mem
		l.services = append(l.services, c)
	}

	top := func(total []contribution, by func(contribution) int64, unit func(int64) string) string {
		s := slices.Clone(total)
		slices.SortStableFunc(s, func(a, b contribution) int { return cmp.Compare(by(b), by(a)) })
		var parts []string
		for _, c := range s[:min(3, len(s))] {
			parts = append(parts, c.name+" "+unit(by(c)))
		}
		return strings.Join(parts, ", ")
	}
	vcpu := func(m int64) string { return fmt.Sprintf("%.1f vCPU", float64(m)/1000) }
	gib := func(m int64) string { return fmt.Sprintf("%.1f GiB", float64(m)/1024) }
	// A limit the user set is reported at its line; a default of the
	// schema at the environment's declaration, which is where it is
	// changed.
	atLimit := func(sel, format string, args ...any) {
		if op, _ := env.Src.LookupPath(cue.ParsePath(sel)).Expr(); op == cue.AndOp {
			add(diag.At(env.Src, sel, format, args...))
			return
		}
		path := append([]string{"environments", diag.Label(env.Name)}, strings.Split(sel, ".")...)
		add(diag.New(diag.SourcePos(env.Src), path, format+" (the limit is the schema's default for a %s environment)", append(args, env.Tier)...))
	}
	for _, pool := range []string{poolnames.General, poolnames.OnDemand} {
		l := loads[pool]
		if l.cpu > int64(k.CPULimit)*1000 {
			atLimit("sizing.karpenter.cpuLimit",
				"the services of %s on the %q NodePool request %s at their maximum replicas, beyond cpuLimit %d: the pool could never scale that far (largest: %s); raise cpuLimit or lower maxReplicas",
				env.Name, pool, vcpu(l.cpu), k.CPULimit, top(l.services, func(c contribution) int64 { return c.cpu }, vcpu))
		}
		if l.mem > int64(k.MemoryLimitGiB)*1024 {
			atLimit("sizing.karpenter.memoryLimitGiB",
				"the services of %s on the %q NodePool request %s at their maximum replicas, beyond memoryLimitGiB %d: the pool could never scale that far (largest: %s); raise memoryLimitGiB or lower maxReplicas",
				env.Name, pool, gib(l.mem), k.MemoryLimitGiB, top(l.services, func(c contribution) int64 { return c.mem }, gib))
		}
	}
}

// requestsSource is the path (below the service) that sets the requests
// the service runs with in env: the override's when it sets them.
func requestsSource(svc *model.Service, env string) cue.Path {
	if o, ok := svc.Overrides[env]; ok && o.Resources != nil && (o.Resources.Requests.CPUMillis != nil || o.Resources.Requests.MemoryMiB != nil) {
		return diag.Sel("overrides", env, "resources", "requests")
	}
	return diag.Sel("resources", "requests")
}
