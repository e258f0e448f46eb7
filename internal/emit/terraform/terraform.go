// Package terraform emits, for every environment, a Terraform root module in
// Terraform's JSON syntax that builds the environment's AWS foundation: VPC,
// EKS cluster, IAM (Karpenter, Pod Identity), KMS keys, backup bucket and
// ECR repositories.
//
// Layout below generated/:
//
//	environments/<env>/terraform/main.tf.json      terraform block, backend, provider
//	environments/<env>/terraform/network.tf.json   VPC, subnets, NAT, endpoints, flow logs
//	environments/<env>/terraform/eks.tf.json       cluster, add-ons, node group, access entries
//	environments/<env>/terraform/iam.tf.json       roles, policies, Pod Identity, interruption queue
//	environments/<env>/terraform/data.tf.json      KMS keys, S3 buckets, SQS queues, DynamoDB tables, SNS topics, ECR repositories
//	environments/<env>/terraform/outputs.tf.json   what humans and CI read back
//	registry/terraform/{main,ecr,outputs}.tf.json  the central ECR, with aws.registry (registry.go)
//
// Every AWS name comes from internal/awsnames and every subnet CIDR from
// internal/netplan, both computed at compile time: the Kubernetes side uses
// the same functions and never reads Terraform state.
package terraform

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/idpgen/idpgen/internal/awsnames"
	"github.com/idpgen/idpgen/internal/diag"
	"github.com/idpgen/idpgen/internal/model"
	"github.com/idpgen/idpgen/internal/netplan"
	"github.com/idpgen/idpgen/internal/tfcheck"
	"github.com/idpgen/idpgen/internal/tree"
)

// Emitter writes the Terraform root modules.
type Emitter struct{}

// New returns the emitter.
func New() Emitter { return Emitter{} }

// Name identifies the emitter in errors.
func (Emitter) Name() string { return "terraform" }

// Dir is where an environment's root module lives, below generated/.
func Dir(env string) string { return path.Join("environments", env, "terraform") }

// Files are the files of every root module, without the .tf.json suffix.
var Files = []string{"main", "network", "eks", "iam", "data", "outputs"}

// Emit renders every environment's root module.
func (e Emitter) Emit(p *model.Platform, out *tree.Tree) error {
	for _, env := range p.EnvironmentList {
		files, err := Module(p, env)
		if err != nil {
			return fmt.Errorf("terraform: environment %s: %w", env.Name, err)
		}
		for _, name := range Files {
			data, err := encode(files[name])
			if err != nil {
				return fmt.Errorf("terraform: environment %s: %s: %w", env.Name, name, err)
			}
			if err := out.Add(e.Name(), path.Join(Dir(env.Name), name+".tf.json"), data); err != nil {
				return err
			}
		}
	}
	files, err := RegistryModule(p)
	if err != nil {
		return fmt.Errorf("terraform: registry: %w", err)
	}
	for _, name := range RegistryFiles {
		if files == nil {
			break
		}
		data, err := encode(files[name])
		if err != nil {
			return fmt.Errorf("terraform: registry: %s: %w", name, err)
		}
		if err := out.Add(e.Name(), registryPath(name), data); err != nil {
			return err
		}
	}
	return nil
}

// Module builds one environment's root module: file name (without
// .tf.json) -> JSON object.
func Module(p *model.Platform, env *model.Environment) (map[string]map[string]any, error) {
	layout, err := netplan.Plan(env)
	if err != nil {
		return nil, err // validate reports it with a position first
	}
	b := &builder{module: newModule(), p: p, env: env, n: awsnames.For(p, env), layout: layout}
	b.root()
	b.network()
	b.eks()
	b.iam()
	b.ciRoles() // ci.go
	b.storage()
	b.backupRegions() // backupregions.go
	b.serviceData()
	b.outputs()
	b.serviceOutputs()
	if b.err != nil {
		return nil, b.err
	}
	for _, f := range Files {
		if _, ok := b.files[f]; !ok {
			b.files[f] = obj{}
		}
	}
	return b.files, nil
}

// Verify checks every root module in t with hcl/v2 (see internal/tfcheck)
// and cross-checks the AWS names Kubernetes objects refer to. A problem in
// the generated HCL has no line in CUE: it is reported on the environment
// whose module it is in, with the file's own position in the message.
func (Emitter) Verify(p *model.Platform, t *tree.Tree) ([]string, error) {
	var errs []error
	checked := 0
	for _, env := range p.EnvironmentList {
		files := ModuleFiles(t, env.Name)
		if len(files) == 0 {
			errs = append(errs, diag.At(env.Src, "", "terraform: %s: no Terraform files", Dir(env.Name)))
			continue
		}
		checked += len(files)
		for _, d := range tfcheck.Check(files) {
			if d.Severity == hcl.DiagError {
				errs = append(errs, diag.At(env.Src, "", "terraform: %s", tfcheck.Error(hcl.Diagnostics{d})))
			}
		}
		if err := CrossCheck(p, t, env.Name); err != nil {
			errs = append(errs, err)
		}
	}
	if _, ok := awsnames.CentralRegistry(p); ok {
		files := RegistryModuleFiles(t)
		checked += len(files)
		// The registry's module comes from aws.registry: its problems
		// are reported there.
		if len(files) == 0 {
			errs = append(errs, diag.At(p.Src, "aws.registry", "terraform: %s: no Terraform files", RegistryDir))
		}
		for _, d := range tfcheck.Check(files) {
			if d.Severity == hcl.DiagError {
				errs = append(errs, diag.At(p.Src, "aws.registry", "terraform: %s", tfcheck.Error(hcl.Diagnostics{d})))
			}
		}
	}
	notes := []string{fmt.Sprintf("terraform: %d files parsed and cross-referenced with hcl/v2; resource arguments are checked against the AWS provider schema only by `terraform validate` after `terraform init`", checked)}
	return notes, errors.Join(errs...)
}

// ModuleFiles returns the .tf.json files of an environment from t.
func ModuleFiles(t *tree.Tree, env string) []tfcheck.File { return moduleFiles(t, Dir(env)) }

// RegistryModuleFiles returns the .tf.json files of the central registry
// from t.
func RegistryModuleFiles(t *tree.Tree) []tfcheck.File { return moduleFiles(t, RegistryDir) }

func moduleFiles(t *tree.Tree, dir string) []tfcheck.File {
	var out []tfcheck.File
	prefix := dir + "/"
	for _, f := range t.Files() {
		if strings.HasPrefix(f.Path, prefix) && strings.HasSuffix(f.Path, ".tf.json") {
			out = append(out, tfcheck.File{Name: f.Path, Data: f.Data})
		}
	}
	return out
}

// builder holds what every part of one root module needs.
type builder struct {
	*module
	p      *model.Platform
	env    *model.Environment
	n      awsnames.Names
	layout netplan.Layout
}

func (b *builder) karpenter() bool { return b.p.Addons.Karpenter.In(b.env.Name) }
func (b *builder) velero() bool    { return b.p.Addons.Velero.In(b.env.Name) }
func (b *builder) vault() bool     { return b.p.Addons.Vault.In(b.env.Name) }

// Addresses of blocks other parts refer to.
const (
	vpcAddr      = "aws_vpc.main"
	clusterAddr  = "aws_eks_cluster.main"
	nodeSGAddr   = "aws_security_group.node"
	interruptQ   = "aws_sqs_queue.karpenter_interruption"
	backupBucket = "aws_s3_bucket.backups"
)

// clusterSG is the security group EKS creates for the control plane.
const clusterSG expr = "${aws_eks_cluster.main.vpc_config[0].cluster_security_group_id}"

func keyAddr(id string) string  { return "aws_kms_key." + id }
func roleAddr(id string) string { return "aws_iam_role." + id }
func subnetAddr(s netplan.Subnet) string {
	return "aws_subnet." + tfName(s.Kind, s.Suffix())
}

func (b *builder) subnetIDs(kind string) []expr {
	var out []expr
	for _, s := range b.layout.Of(kind) {
		out = append(out, ref(subnetAddr(s), "id"))
	}
	return out
}

// nameTag is the Name tag of a network resource.
func (b *builder) nameTag(suffix ...string) obj {
	return obj{"Name": strings.Join(append([]string{b.n.VPC()}, suffix...), "-")}
}

// root writes the terraform block and the provider.
func (b *builder) root() {
	tf := b.p.AWS.Terraform
	stateRegion := b.env.Region
	if b.p.AWS.StateRegion != "" {
		stateRegion = b.p.AWS.StateRegion
	}
	b.put("main", "terraform", obj{
		"required_version": tf.RequiredVersion,
		"required_providers": obj{
			"aws": obj{"source": "hashicorp/aws", "version": tf.AWSProviderVersion},
		},
		"backend": obj{"s3": obj{
			"bucket":       b.p.AWS.StateBucket,
			"key":          b.n.StateKey(),
			"region":       stateRegion,
			"encrypt":      true,
			"use_lockfile": true,
		}},
	}, "terraform")
	tags := obj{
		"platform":    b.p.Name,
		"environment": b.env.Name,
		"tier":        b.env.Tier,
		"managed-by":  "idpgen",
	}
	b.put("main", "provider.aws", obj{
		"region":              b.env.Region,
		"allowed_account_ids": []string{b.env.Account},
		"default_tags":        obj{"tags": tags},
	}, "provider", "aws")
}

// teamTags tags a resource a team owns.
func (b *builder) teamTags(team string, extra obj) obj {
	tags := obj{"team": team}
	if t := b.p.Teams[team]; t != nil && t.CostCenter != "" {
		tags["cost-center"] = t.CostCenter
	}
	for k, v := range extra {
		tags[k] = v
	}
	return tags
}
