package karpenter_test

import (
	"path"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/idpgen/idpgen/internal/awsnames"
	"github.com/idpgen/idpgen/internal/crdschema"
	"github.com/idpgen/idpgen/internal/emit/karpenter"
	"github.com/idpgen/idpgen/internal/model"
	"github.com/idpgen/idpgen/internal/poolnames"
	"github.com/idpgen/idpgen/internal/render"
	"github.com/idpgen/idpgen/internal/tree"
)

func example(t *testing.T) *model.Platform {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	p, err := render.Load(filepath.Join(filepath.Dir(file), "..", "..", "..", "platforms", "example"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func emit(t *testing.T, p *model.Platform) *tree.Tree {
	t.Helper()
	tr, err := render.Model(p, []render.Emitter{karpenter.New()})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// upstreamCRDs loads the EC2NodeClass and NodePool CRDs of the
// karpenter-provider-aws module pinned in internal/crdschema/pin.
func upstreamCRDs(t *testing.T) *crdschema.Set {
	t.Helper()
	dir, err := crdschema.ModuleDir(crdschema.Karpenter)
	if err != nil {
		t.Fatalf("the Karpenter CRDs are read from the Go module cache: %v", err)
	}
	crds := filepath.Join(dir, "pkg", "apis", "crds")
	set, err := crdschema.Load(filepath.Join(crds, "karpenter.k8s.aws_ec2nodeclasses.yaml"), filepath.Join(crds, "karpenter.sh_nodepools.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(set.Kinds()); n != 2 {
		t.Fatalf("loaded %d Karpenter kinds, want 2: %v", n, set.Kinds())
	}
	return set
}

// variants are environments that exercise every shape the emitter writes:
// the example's, plus spot, Bottlerocket, arm64 and budgets with reasons.
func variants(t *testing.T) *model.Platform {
	p := example(t)
	for _, env := range p.EnvironmentList {
		if env.Name == "dev" {
			k := &env.Sizing.Karpenter
			k.Spot = true
			k.AMIAlias = "bottlerocket@v1.46.0"
			k.Architectures = []string{"amd64", "arm64"}
			k.ConsolidationPolicy = "Balanced"
			k.ExpireAfter = "Never"
			k.DisruptionBudgets = append(k.DisruptionBudgets, model.DisruptionBudget{Nodes: "1", Schedule: "@daily", Duration: "1h30m", Reasons: []string{"Drifted", "Underutilized"}})
		}
	}
	return p
}

// Every object written is valid for the upstream CRD, strictly (unknown
// fields are errors), in every environment and variant.
func TestObjectsMatchUpstreamCRDs(t *testing.T) {
	set := upstreamCRDs(t)
	for _, p := range []*model.Platform{example(t), variants(t)} {
		tr := emit(t, p)
		checked := 0
		for _, f := range tr.Files() {
			if path.Base(f.Path) == "kustomization.yaml" {
				continue
			}
			n, err := set.ValidateYAML(f.Data)
			if err != nil {
				t.Errorf("%s: %v", f.Path, err)
			}
			checked += n
		}
		// An EC2NodeClass and two NodePools per environment.
		if want := 3 * len(p.EnvironmentList); checked != want {
			t.Errorf("validated %d objects, want %d", checked, want)
		}
	}
}

// The validation catches what a wrong emitter would write: an unknown
// field, a value outside an enum, a duration the CRD's pattern refuses.
func TestCRDValidationIsStrict(t *testing.T) {
	set := upstreamCRDs(t)
	p := example(t)
	env := p.Environments["prod"]
	pool := karpenter.NodePoolFor(p, env, poolnames.General)
	if err := set.Validate(pool); err != nil {
		t.Fatalf("the valid pool: %v", err)
	}
	bad := []func(*karpenter.NodePool){
		func(np *karpenter.NodePool) { np.Spec.Disruption.ConsolidationPolicy = "WhenUnderutilized" }, // removed in v1
		func(np *karpenter.NodePool) { np.Spec.Disruption.ConsolidateAfter = "1d" },
		func(np *karpenter.NodePool) { np.Spec.Disruption.Budgets = []karpenter.Budget{{Nodes: "ten"}} },
		func(np *karpenter.NodePool) { np.Spec.Template.Spec.ExpireAfter = "30 days" },
		func(np *karpenter.NodePool) { np.Spec.Weight = 101 },
	}
	for i, mutate := range bad {
		np := karpenter.NodePoolFor(p, env, poolnames.General)
		mutate(&np)
		if err := set.Validate(np); err == nil {
			t.Errorf("mutation %d: the CRD accepted %+v", i, np.Spec)
		}
	}
	unknown := map[string]any{"apiVersion": "karpenter.k8s.aws/v1", "kind": "EC2NodeClass", "metadata": map[string]any{"name": "x"},
		"spec": map[string]any{"role": "r", "amiSelectorTerms": []any{map[string]any{"alias": "al2023@v20260714"}},
			"subnetSelectorTerms":        []any{map[string]any{"tags": map[string]any{"a": "b"}}},
			"securityGroupSelectorTerms": []any{map[string]any{"tags": map[string]any{"a": "b"}}},
			"amiFamilly":                 "AL2023"}}
	if err := set.Validate(unknown); err == nil || !strings.Contains(err.Error(), "amiFamilly") {
		t.Errorf("an unknown EC2NodeClass field is not reported: %v", err)
	}
}

// The CRDs' CEL rules (x-kubernetes-validations) hold for every object,
// evaluated as the API server does on create; and the evaluation catches
// an object that breaks one.
func TestObjectsPassUpstreamCELRules(t *testing.T) {
	set := upstreamCRDs(t)
	for _, p := range []*model.Platform{example(t), variants(t)} {
		for _, env := range p.EnvironmentList {
			objs := []any{karpenter.NodeClassFor(p, env), karpenter.NodePoolFor(p, env, poolnames.General), karpenter.NodePoolFor(p, env, poolnames.OnDemand)}
			for _, o := range objs {
				if err := set.ValidateCEL(o); err != nil {
					t.Errorf("%s: %v", env.Name, err)
				}
			}
		}
	}
	p := example(t)
	env := p.Environments["prod"]
	bad := []func(*karpenter.NodePool){
		func(np *karpenter.NodePool) {
			np.Spec.Disruption.Budgets = []karpenter.Budget{{Nodes: "0", Schedule: "@daily"}}
		},
		func(np *karpenter.NodePool) { np.Spec.Template.Spec.Requirements[1].Values = nil },
		func(np *karpenter.NodePool) { np.Spec.Template.Spec.Requirements[2].Values = []string{"5", "6"} },
		func(np *karpenter.NodePool) { np.Spec.Template.Spec.Requirements[0].Key = "karpenter.sh/nodepool" },
		func(np *karpenter.NodePool) { np.Spec.Template.Spec.NodeClassRef.Group = "" },
	}
	for i, mutate := range bad {
		np := karpenter.NodePoolFor(p, env, poolnames.General)
		mutate(&np)
		if err := set.ValidateCEL(np); err == nil {
			t.Errorf("CEL mutation %d: the rules accepted %+v", i, np.Spec)
		}
	}
	nc := karpenter.NodeClassFor(p, env)
	nc.Spec.AMISelectorTerms = append(nc.Spec.AMISelectorTerms, karpenter.AMISelectorTerm{Alias: "bottlerocket@v1.46.0"})
	if err := set.ValidateCEL(nc); err == nil {
		t.Error("CEL: two alias terms accepted ('alias' must be the only term)")
	}
}

// The properties behind those rules, stated directly over every object.
func TestCELRulesHold(t *testing.T) {
	p := variants(t)
	for _, env := range p.EnvironmentList {
		for _, name := range []string{poolnames.General, poolnames.OnDemand} {
			np := karpenter.NodePoolFor(p, env, name)
			for _, r := range np.Spec.Template.Spec.Requirements {
				// "requirements with operator 'In' must have a value defined"
				if r.Operator == "In" && len(r.Values) == 0 {
					t.Errorf("%s/%s: %s In with no values", env.Name, name, r.Key)
				}
				// "operator 'Gt' ... must have a single positive integer value"
				if r.Operator == "Gt" {
					if len(r.Values) != 1 {
						t.Errorf("%s/%s: %s Gt %v", env.Name, name, r.Key, r.Values)
					} else if n, err := strconv.Atoi(r.Values[0]); err != nil || n < 0 {
						t.Errorf("%s/%s: %s Gt %v", env.Name, name, r.Key, r.Values)
					}
				}
				// "label domain karpenter.sh is restricted"
				if strings.HasSuffix(strings.SplitN(r.Key, "/", 2)[0], "karpenter.sh") && r.Key != poolnames.CapacityTypeLabel {
					t.Errorf("%s/%s: restricted label %s", env.Name, name, r.Key)
				}
			}
			// "'schedule' must be set with 'duration'"
			for _, b := range np.Spec.Disruption.Budgets {
				if (b.Schedule == "") != (b.Duration == "") {
					t.Errorf("%s/%s: budget %+v", env.Name, name, b)
				}
			}
		}
		// Exactly one of role and instanceProfile (the CEL rule), one alias
		// term alone, at most one root volume.
		nc := karpenter.NodeClassFor(p, env)
		if nc.Spec.Role == "" || len(nc.Spec.AMISelectorTerms) != 1 {
			t.Errorf("%s: role %q, AMI terms %v", env.Name, nc.Spec.Role, nc.Spec.AMISelectorTerms)
		}
		roots := 0
		for _, d := range nc.Spec.BlockDeviceMappings {
			if d.RootVolume {
				roots++
			}
		}
		if roots != 1 {
			t.Errorf("%s: %d root volumes", env.Name, roots)
		}
	}
}

// Karpenter runs only where the add-on is enabled; elsewhere no directory
// is written (Argo CD would deploy it, and the CRDs would be missing).
func TestOnlyWhereKarpenterRuns(t *testing.T) {
	p := example(t)
	p.Addons.Karpenter.Environments = []string{"prod"}
	tr := emit(t, p)
	var dirs []string
	for _, f := range tr.Files() {
		dirs = append(dirs, path.Dir(f.Path))
	}
	dirs = slices.Compact(dirs)
	if !reflect.DeepEqual(dirs, []string{karpenter.Dir("prod")}) {
		t.Errorf("directories %v, want only %s", dirs, karpenter.Dir("prod"))
	}
	var files []string
	for _, f := range tr.Files() {
		files = append(files, path.Base(f.Path))
	}
	if want := []string{karpenter.NodeClassFile, "kustomization.yaml", karpenter.NodePoolsFile}; !reflect.DeepEqual(files, want) {
		t.Errorf("files %v, want %v", files, want)
	}
}

// The pools' shared contract: the on-demand pool is tainted with
// poolnames' taint and never spot; the general pool is untainted and uses
// spot exactly when the environment allows it; both refer to the node
// class the environment declares, and the node class to Terraform's names.
func TestPoolContract(t *testing.T) {
	p := example(t)
	for _, env := range p.EnvironmentList {
		for _, spot := range []bool{false, true} {
			env.Sizing.Karpenter.Spot = spot
			nc := karpenter.NodeClassFor(p, env)
			general := karpenter.NodePoolFor(p, env, poolnames.General)
			onDemand := karpenter.NodePoolFor(p, env, poolnames.OnDemand)
			if got := capacity(general); !reflect.DeepEqual(got, map[bool][]string{false: {"on-demand"}, true: {"on-demand", "spot"}}[spot]) {
				t.Errorf("%s spot=%v: general pool capacity %v", env.Name, spot, got)
			}
			if got := capacity(onDemand); !reflect.DeepEqual(got, []string{"on-demand"}) {
				t.Errorf("%s spot=%v: on-demand pool capacity %v", env.Name, spot, got)
			}
			if len(general.Spec.Template.Spec.Taints) != 0 {
				t.Errorf("%s: general pool tainted %v", env.Name, general.Spec.Template.Spec.Taints)
			}
			want := []karpenter.Taint{{Key: poolnames.OnDemandTaintKey, Value: poolnames.OnDemandTaintValue, Effect: poolnames.OnDemandTaintEffect}}
			if !reflect.DeepEqual(onDemand.Spec.Template.Spec.Taints, want) {
				t.Errorf("%s: on-demand pool taints %v", env.Name, onDemand.Spec.Template.Spec.Taints)
			}
			for _, np := range []karpenter.NodePool{general, onDemand} {
				ref := np.Spec.Template.Spec.NodeClassRef
				if ref.Name != nc.Metadata.Name || ref.Kind != nc.Kind || ref.Group+"/v1" != nc.APIVersion {
					t.Errorf("%s/%s: nodeClassRef %+v does not name %s %s", env.Name, np.Metadata.Name, ref, nc.APIVersion, nc.Metadata.Name)
				}
			}
			if general.Spec.Weight <= onDemand.Spec.Weight {
				t.Errorf("%s: the general pool must win ties (weights %d, %d)", env.Name, general.Spec.Weight, onDemand.Spec.Weight)
			}
		}
		n := awsnames.For(p, env)
		nc := karpenter.NodeClassFor(p, env)
		key, value := n.DiscoveryTag()
		tags := map[string]string{key: value}
		if nc.Spec.Role != n.KarpenterNodeRole() || !reflect.DeepEqual(nc.Spec.SubnetSelectorTerms[0].Tags, tags) || !reflect.DeepEqual(nc.Spec.SecurityGroupSelectorTerms[0].Tags, tags) {
			t.Errorf("%s: node class %+v does not use awsnames' role and discovery tag", env.Name, nc.Spec)
		}
		md := nc.Spec.MetadataOptions
		if md.HTTPTokens != "required" || md.HTTPPutResponseHopLimit != 1 {
			t.Errorf("%s: metadata options %+v", env.Name, md)
		}
		for _, d := range nc.Spec.BlockDeviceMappings {
			if !d.EBS.Encrypted || d.EBS.VolumeType != "gp3" || d.EBS.KMSKeyID != n.KMSAliasARN(n.NodeVolumeKeyAlias()) {
				t.Errorf("%s: volume %+v", env.Name, d)
			}
		}
	}
}

func capacity(np karpenter.NodePool) []string {
	for _, r := range np.Spec.Template.Spec.Requirements {
		if r.Key == poolnames.CapacityTypeLabel {
			return r.Values
		}
	}
	return nil
}

func requirement(np karpenter.NodePool, key string) karpenter.Requirement {
	for _, r := range np.Spec.Template.Spec.Requirements {
		if r.Key == key {
			return r
		}
	}
	return karpenter.Requirement{}
}

// Each sizing.karpenter knob changes the rendered objects, where it should.
func TestEveryKnobChangesOutput(t *testing.T) {
	type objs struct {
		nc                karpenter.NodeClass
		general, onDemand karpenter.NodePool
	}
	render := func(p *model.Platform, env *model.Environment) objs {
		return objs{karpenter.NodeClassFor(p, env), karpenter.NodePoolFor(p, env, poolnames.General), karpenter.NodePoolFor(p, env, poolnames.OnDemand)}
	}
	both := func(o objs, f func(karpenter.NodePool) any) []any { return []any{f(o.general), f(o.onDemand)} }
	knobs := []struct {
		name   string
		set    func(*model.Environment)
		expect func(objs) any
		want   any
	}{
		{"cpuLimit", func(e *model.Environment) { e.Sizing.Karpenter.CPULimit = 123 },
			func(o objs) any { return both(o, func(np karpenter.NodePool) any { return np.Spec.Limits["cpu"] }) }, []any{"123", "123"}},
		{"memoryLimitGiB", func(e *model.Environment) { e.Sizing.Karpenter.MemoryLimitGiB = 777 },
			func(o objs) any { return both(o, func(np karpenter.NodePool) any { return np.Spec.Limits["memory"] }) }, []any{"777Gi", "777Gi"}},
		{"spot", func(e *model.Environment) { e.Sizing.Karpenter.Spot = !e.Sizing.Karpenter.Spot },
			func(o objs) any { return len(capacity(o.general)) }, nil}, // want computed below
		{"consolidateAfter", func(e *model.Environment) { e.Sizing.Karpenter.ConsolidateAfter = "42m" },
			func(o objs) any {
				return both(o, func(np karpenter.NodePool) any { return np.Spec.Disruption.ConsolidateAfter })
			}, []any{"42m", "42m"}},
		{"instanceCategories", func(e *model.Environment) { e.Sizing.Karpenter.InstanceCategories = []string{"r"} },
			func(o objs) any {
				return both(o, func(np karpenter.NodePool) any { return requirement(np, karpenter.LabelInstanceCategory).Values })
			}, []any{[]string{"r"}, []string{"r"}}},
		{"minGeneration", func(e *model.Environment) { e.Sizing.Karpenter.MinGeneration = 8 },
			func(o objs) any {
				return both(o, func(np karpenter.NodePool) any { return requirement(np, karpenter.LabelInstanceGeneration).Values })
			}, []any{[]string{"7"}, []string{"7"}}},
		{"architectures", func(e *model.Environment) { e.Sizing.Karpenter.Architectures = []string{"arm64"} },
			func(o objs) any {
				return both(o, func(np karpenter.NodePool) any { return requirement(np, karpenter.LabelArch).Values })
			}, []any{[]string{"arm64"}, []string{"arm64"}}},
		{"amiAlias", func(e *model.Environment) { e.Sizing.Karpenter.AMIAlias = "bottlerocket@v1.46.0" },
			func(o objs) any {
				d := o.nc.Spec.BlockDeviceMappings
				return []any{o.nc.Spec.AMISelectorTerms[0].Alias, len(d), d[len(d)-1].DeviceName}
			}, []any{"bottlerocket@v1.46.0", 2, "/dev/xvdb"}},
		{"rootVolumeGiB", func(e *model.Environment) { e.Sizing.Karpenter.RootVolumeGiB = 123 },
			func(o objs) any { return o.nc.Spec.BlockDeviceMappings[0].EBS.VolumeSize }, "123Gi"},
		{"consolidationPolicy", func(e *model.Environment) { e.Sizing.Karpenter.ConsolidationPolicy = "WhenEmpty" },
			func(o objs) any {
				return both(o, func(np karpenter.NodePool) any { return np.Spec.Disruption.ConsolidationPolicy })
			}, []any{"WhenEmpty", "WhenEmpty"}},
		{"expireAfter", func(e *model.Environment) { e.Sizing.Karpenter.ExpireAfter = "168h" },
			func(o objs) any {
				return both(o, func(np karpenter.NodePool) any { return np.Spec.Template.Spec.ExpireAfter })
			}, []any{"168h", "168h"}},
		{"disruptionBudgets", func(e *model.Environment) {
			e.Sizing.Karpenter.DisruptionBudgets = []model.DisruptionBudget{{Nodes: "2", Schedule: "@weekly", Duration: "4h", Reasons: []string{"Empty"}}}
		},
			func(o objs) any {
				return both(o, func(np karpenter.NodePool) any { return np.Spec.Disruption.Budgets })
			}, []any{[]karpenter.Budget{{Nodes: "2", Schedule: "@weekly", Duration: "4h", Reasons: []string{"Empty"}}}, []karpenter.Budget{{Nodes: "2", Schedule: "@weekly", Duration: "4h", Reasons: []string{"Empty"}}}}},
	}
	for _, k := range knobs {
		t.Run(k.name, func(t *testing.T) {
			p := example(t)
			env := p.Environments["prod"]
			before := k.expect(render(p, env))
			k.set(env)
			after := k.expect(render(p, env))
			want := k.want
			if k.name == "spot" {
				want = map[bool]int{true: 2, false: 1}[env.Sizing.Karpenter.Spot]
			}
			if !reflect.DeepEqual(after, want) {
				t.Errorf("after setting %s: %#v, want %#v", k.name, after, want)
			}
			if reflect.DeepEqual(before, after) {
				t.Errorf("setting %s changed nothing (%#v)", k.name, after)
			}
		})
	}
}

// The emitted files are the objects of NodeClassFor and NodePoolFor, as
// YAML: what the tests above check is what is written.
func TestFilesAreTheObjects(t *testing.T) {
	p := example(t)
	tr := emit(t, p)
	for _, env := range p.EnvironmentList {
		want, err := tree.YAML(karpenter.NodePoolFor(p, env, poolnames.General), karpenter.NodePoolFor(p, env, poolnames.OnDemand))
		if err != nil {
			t.Fatal(err)
		}
		f, ok := tr.Get(path.Join(karpenter.Dir(env.Name), karpenter.NodePoolsFile))
		if !ok || string(f.Data) != string(want) {
			t.Errorf("%s: %s is not the two NodePools", env.Name, karpenter.NodePoolsFile)
		}
		want, _ = tree.YAML(karpenter.NodeClassFor(p, env))
		f, ok = tr.Get(path.Join(karpenter.Dir(env.Name), karpenter.NodeClassFile))
		if !ok || string(f.Data) != string(want) {
			t.Errorf("%s: %s is not the EC2NodeClass", env.Name, karpenter.NodeClassFile)
		}
	}
}
