// Package karpenter renders, per environment where the Karpenter add-on is
// enabled, the objects that let Karpenter provision workload nodes: the
// EC2NodeClass (karpenter.k8s.aws/v1) and the NodePools (karpenter.sh/v1)
// "general" and "on-demand", from the environment's sizing.karpenter.
//
//	environments/<env>/karpenter/kustomization.yaml
//	environments/<env>/karpenter/ec2nodeclass.yaml
//	environments/<env>/karpenter/nodepools.yaml
//
// The names the objects share with Terraform (node role, discovery tag,
// volume key) come from internal/awsnames, the pool names and the on-demand
// taint from internal/poolnames. Argo CD deploys the directory after the
// Karpenter chart, which installs the CRDs (argocd.Components).
package karpenter

import (
	"path"
	"strconv"

	"github.com/idpgen/idpgen/internal/awsnames"
	"github.com/idpgen/idpgen/internal/model"
	"github.com/idpgen/idpgen/internal/poolnames"
	"github.com/idpgen/idpgen/internal/tree"
)

// Emitter writes the Karpenter objects.
type Emitter struct{}

// New returns the emitter.
func New() Emitter { return Emitter{} }

// Name identifies the emitter in errors.
func (Emitter) Name() string { return "karpenter" }

// Dir is where an environment's Karpenter objects live (the directory
// argocd.Components deploys as "karpenter").
func Dir(env string) string { return path.Join("environments", env, "karpenter") }

// Files of Dir.
const (
	NodeClassFile = "ec2nodeclass.yaml"
	NodePoolsFile = "nodepools.yaml"
)

// Emit writes the objects of every environment where Karpenter runs.
func (e Emitter) Emit(p *model.Platform, out *tree.Tree) error {
	for _, env := range p.EnvironmentList {
		if !p.Addons.Karpenter.In(env.Name) {
			continue
		}
		dir := Dir(env.Name)
		files := []struct {
			name string
			objs []any
		}{
			{"kustomization.yaml", []any{kustomization{APIVersion: "kustomize.config.k8s.io/v1beta1", Kind: "Kustomization", Resources: []string{NodeClassFile, NodePoolsFile}}}},
			{NodeClassFile, []any{NodeClassFor(p, env)}},
			{NodePoolsFile, []any{NodePoolFor(p, env, poolnames.General), NodePoolFor(p, env, poolnames.OnDemand)}},
		}
		for _, f := range files {
			data, err := tree.YAML(f.objs...)
			if err != nil {
				return err
			}
			if err := out.Add(e.Name(), path.Join(dir, f.name), data); err != nil {
				return err
			}
		}
	}
	return nil
}

type kustomization struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Resources  []string `json:"resources"`
}

func meta(p *model.Platform, env *model.Environment, name string) Meta {
	return Meta{Name: name, Labels: map[string]string{
		"app.kubernetes.io/managed-by": "idpgen",
		"app.kubernetes.io/part-of":    p.Name,
		"idpgen.dev/environment":       env.Name,
	}}
}

// NodeClassFor is the environment's EC2NodeClass.
func NodeClassFor(p *model.Platform, env *model.Environment) NodeClass {
	n := awsnames.For(p, env)
	k := env.Sizing.Karpenter
	tagKey, tagValue := n.DiscoveryTag()
	discovery := []SelectorTerm{{Tags: map[string]string{tagKey: tagValue}}}
	volume := func(device string, gib int, root bool) BlockDeviceMapping {
		return BlockDeviceMapping{DeviceName: device, RootVolume: root, EBS: EBS{
			VolumeSize: strconv.Itoa(gib) + "Gi", VolumeType: "gp3", Encrypted: true,
			KMSKeyID: n.KMSAliasARN(n.NodeVolumeKeyAlias()), DeleteOnTermination: true,
		}}
	}
	var disks []BlockDeviceMapping
	if family(k.AMIAlias) == "bottlerocket" {
		// Bottlerocket boots from a small OS volume and keeps images and
		// pods' ephemeral storage on the second one (Karpenter's defaults
		// for the family, with the environment's size and key).
		disks = []BlockDeviceMapping{volume("/dev/xvda", 4, false), volume("/dev/xvdb", k.RootVolumeGiB, true)}
	} else {
		disks = []BlockDeviceMapping{volume("/dev/xvda", k.RootVolumeGiB, true)}
	}
	return NodeClass{
		APIVersion: "karpenter.k8s.aws/v1",
		Kind:       "EC2NodeClass",
		Metadata:   meta(p, env, poolnames.NodeClass),
		Spec: NodeClassSpec{
			Role:                       n.KarpenterNodeRole(),
			AMISelectorTerms:           []AMISelectorTerm{{Alias: k.AMIAlias}},
			SubnetSelectorTerms:        discovery,
			SecurityGroupSelectorTerms: discovery,
			// IMDSv2 only, one hop: pods get AWS credentials from Pod
			// Identity, never from the node's instance profile.
			MetadataOptions:     MetadataOptions{HTTPEndpoint: "enabled", HTTPProtocolIPv6: "disabled", HTTPPutResponseHopLimit: 1, HTTPTokens: "required"},
			BlockDeviceMappings: disks,
			Tags: map[string]string{
				"idpgen.dev/platform":    p.Name,
				"idpgen.dev/environment": env.Name,
			},
		},
	}
}

func family(alias string) string {
	for i := range len(alias) {
		if alias[i] == '@' {
			return alias[:i]
		}
	}
	return alias
}

// Label keys of the instance shape requirements.
const (
	LabelInstanceCategory   = "karpenter.k8s.aws/instance-category"
	LabelInstanceGeneration = "karpenter.k8s.aws/instance-generation"
	LabelArch               = "kubernetes.io/arch"
	LabelOS                 = "kubernetes.io/os"
)

// NodePoolFor is the environment's NodePool named pool (poolnames.General
// or poolnames.OnDemand).
func NodePoolFor(p *model.Platform, env *model.Environment, pool string) NodePool {
	k := env.Sizing.Karpenter
	capacity := []string{"on-demand"}
	if pool == poolnames.General && k.Spot {
		capacity = []string{"on-demand", "spot"}
	}
	spec := NodeClaimTemplateSpec{
		NodeClassRef: NodeClassRef{Group: "karpenter.k8s.aws", Kind: "EC2NodeClass", Name: poolnames.NodeClass},
		Requirements: []Requirement{
			{Key: poolnames.CapacityTypeLabel, Operator: "In", Values: capacity},
			{Key: LabelInstanceCategory, Operator: "In", Values: k.InstanceCategories},
			// Gt takes one integer: generation minGeneration or newer.
			{Key: LabelInstanceGeneration, Operator: "Gt", Values: []string{strconv.Itoa(k.MinGeneration - 1)}},
			{Key: LabelArch, Operator: "In", Values: k.Architectures},
			{Key: LabelOS, Operator: "In", Values: []string{"linux"}},
		},
		ExpireAfter: k.ExpireAfter,
	}
	// The general pool takes every pod it can (spot where allowed, so the
	// cheaper pool wins ties); the tainted on-demand pool only the pods that
	// tolerate its taint and select it.
	weight := 50
	if pool == poolnames.OnDemand {
		weight = 10
		spec.Taints = []Taint{{Key: poolnames.OnDemandTaintKey, Value: poolnames.OnDemandTaintValue, Effect: poolnames.OnDemandTaintEffect}}
	}
	budgets := make([]Budget, len(k.DisruptionBudgets))
	for i, b := range k.DisruptionBudgets {
		budgets[i] = Budget(b)
	}
	return NodePool{
		APIVersion: "karpenter.sh/v1",
		Kind:       "NodePool",
		Metadata:   meta(p, env, pool),
		Spec: NodePoolSpec{
			Template: NodeClaimTemplate{Spec: spec},
			Disruption: Disruption{
				ConsolidationPolicy: k.ConsolidationPolicy,
				ConsolidateAfter:    k.ConsolidateAfter,
				Budgets:             budgets,
			},
			// Each pool may grow to the environment's limits (Karpenter has
			// no limit across pools).
			Limits: map[string]string{
				"cpu":    strconv.Itoa(k.CPULimit),
				"memory": strconv.Itoa(k.MemoryLimitGiB) + "Gi",
			},
			Weight: weight,
		},
	}
}
