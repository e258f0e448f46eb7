package awsnames

import (
	"fmt"
	"slices"

	"github.com/idpgen/idpgen/internal/model"
	"github.com/idpgen/idpgen/internal/vaultnames"
)

// Names of the environment's AWS foundation (the Terraform root module in
// generated/environments/<env>/terraform) that are not referred to from
// Kubernetes but still belong here, so that every name has one author.

// ClusterRole is the IAM role of the EKS control plane.
func (n Names) ClusterRole() string { return limit(n.Cluster()+"-cluster", 64) }

// SystemNodeRole is the IAM role of the managed "system" node group.
func (n Names) SystemNodeRole() string { return limit(n.Cluster()+"-system-node", 64) }

// SystemNodeGroup is the managed node group that runs cluster-critical pods.
func (n Names) SystemNodeGroup() string { return "system" }

// SystemLaunchTemplate is the launch template of the system node group.
func (n Names) SystemLaunchTemplate() string { return n.Cluster() + "-system" }

// TeamRole is the role a team's members assume for read-only cluster access.
func (n Names) TeamRole(team string) string { return limit(n.Cluster()+"-team-"+team, 64) }

// FlowLogsRole is the role VPC Flow Logs writes to CloudWatch Logs with.
func (n Names) FlowLogsRole() string { return limit(n.Cluster()+"-vpc-flow-logs", 64) }

// FlowLogGroup is the CloudWatch log group of the VPC flow logs.
func (n Names) FlowLogGroup() string { return "/aws/vpc-flow-logs/" + n.Cluster() }

// ClusterLogGroup is the log group EKS writes control-plane logs to; EKS
// fixes its name.
func (n Names) ClusterLogGroup() string { return "/aws/eks/" + n.Cluster() + "/cluster" }

// VPC is the Name tag of the VPC; subnets and gateways derive theirs.
func (n Names) VPC() string { return n.Cluster() }

// NodeSecurityGroup is the security group of every node (managed and
// Karpenter's); it carries the discovery tag.
func (n Names) NodeSecurityGroup() string { return n.Cluster() + "-node" }

// EndpointSecurityGroup guards the VPC interface endpoints.
func (n Names) EndpointSecurityGroup() string { return n.Cluster() + "-vpc-endpoints" }

// InterruptionRule is the EventBridge rule forwarding one kind of EC2 event
// to the interruption queue (EventBridge allows 64 characters).
func (n Names) InterruptionRule(kind string) string {
	return limit(n.Cluster()+"-karpenter-"+kind, 64)
}

// ARNs. The partition is fixed (commercial regions only, see #Region).

// ClusterARN is the ARN of the EKS cluster.
func (n Names) ClusterARN() string {
	return fmt.Sprintf("arn:%s:eks:%s:%s:cluster/%s", Partition, n.env.Region, n.env.Account, n.Cluster())
}

// QueueARN is the ARN of an SQS queue of the environment.
func (n Names) QueueARN(queue string) string {
	return fmt.Sprintf("arn:%s:sqs:%s:%s:%s", Partition, n.env.Region, n.env.Account, queue)
}

// BucketARN is the ARN of an S3 bucket (bucket ARNs carry no region or
// account).
func (n Names) BucketARN(bucket string) string {
	return fmt.Sprintf("arn:%s:s3:::%s", Partition, bucket)
}

// KMSAliasARN is the ARN of a KMS alias ("alias/…") of the environment.
func (n Names) KMSAliasARN(alias string) string {
	return fmt.Sprintf("arn:%s:kms:%s:%s:%s", Partition, n.env.Region, n.env.Account, alias)
}

// ECRRepositoryURL is the address of a service's repository in the
// registry the environment pulls from.
func (n Names) ECRRepositoryURL(service string) string {
	return n.Registry().URL(n.ECRRepository(service))
}

// AWSManagedPolicyARN is the ARN of an AWS managed policy, e.g.
// "AmazonEKSClusterPolicy" or "service-role/AmazonEBSCSIDriverPolicy".
func AWSManagedPolicyARN(name string) string {
	return fmt.Sprintf("arn:%s:iam::aws:policy/%s", Partition, name)
}

// PodIdentity binds a Kubernetes service account to an IAM role through
// EKS Pod Identity. Terraform creates the role and the association; the
// Kubernetes side (Helm values, service accounts) uses the same namespace
// and service account names.
type PodIdentity struct {
	// ID names the identity in Terraform ("karpenter", "svc-checkout").
	ID             string
	Namespace      string
	ServiceAccount string
	Role           string
	// EKSAddon is set when the association belongs to an EKS managed
	// add-on (its pod_identity_association block) instead of standing
	// alone.
	EKSAddon string
	// Service is set for a service's identity.
	Service *model.Service
}

// Service accounts of the add-ons that talk to AWS: the names the add-on
// Helm values set (internal/emit/addons). Namespaces come from the model
// (addons.<addon>.namespace), except the EBS CSI driver's, which EKS
// installs.
const (
	KarpenterServiceAccount = "karpenter"
	LBCServiceAccount       = "aws-load-balancer-controller"
	EBSCSINamespace         = "kube-system"
	EBSCSIServiceAccount    = "ebs-csi-controller-sa"
	VeleroServiceAccount    = "velero"
	VaultServiceAccount     = "vault"
)

// VaultSnapshotsID is the Terraform name of the Vault snapshot CronJob's
// identity.
const VaultSnapshotsID = "vault_snapshots"

// VaultSnapshotsRole is the IAM role of the Vault snapshot CronJob: it may
// only write objects below vaultnames.SnapshotPrefix in the backup bucket.
func (n Names) VaultSnapshotsRole() string { return n.AddonRole(vaultnames.Snapshots) }

// or returns ns, or def when the model leaves it empty (hand-built models
// in tests).
func or(ns, def string) string {
	if ns == "" {
		return def
	}
	return ns
}

// PodIdentities lists every identity of the environment that talks to AWS:
// the add-ons enabled in it, then the services that declare AWS resources
// (their service account is named after the service).
func (n Names) PodIdentities(p *model.Platform) []PodIdentity {
	env := n.env.Name
	var out []PodIdentity
	if p.Addons.Karpenter.In(env) {
		out = append(out, PodIdentity{ID: "karpenter", Namespace: or(p.Addons.Karpenter.Namespace, "karpenter"), ServiceAccount: KarpenterServiceAccount, Role: n.KarpenterControllerRole()})
	}
	if p.Addons.AWSLoadBalancerController.In(env) {
		out = append(out, PodIdentity{ID: "aws_load_balancer_controller", Namespace: or(p.Addons.AWSLoadBalancerController.Namespace, "kube-system"), ServiceAccount: LBCServiceAccount, Role: n.AddonRole("aws-load-balancer-controller")})
	}
	out = append(out, PodIdentity{ID: "vpc_cni", Namespace: CNINamespace, ServiceAccount: CNIServiceAccount, Role: n.CNIRole(), EKSAddon: "vpc-cni"})
	out = append(out, PodIdentity{ID: "ebs_csi", Namespace: EBSCSINamespace, ServiceAccount: EBSCSIServiceAccount, Role: n.AddonRole("ebs-csi"), EKSAddon: "aws-ebs-csi-driver"})
	if p.Addons.Velero.In(env) {
		out = append(out, PodIdentity{ID: "velero", Namespace: or(p.Addons.Velero.Namespace, "velero"), ServiceAccount: VeleroServiceAccount, Role: n.AddonRole("velero")})
	}
	if p.Addons.Vault.In(env) {
		out = append(out, PodIdentity{ID: "vault", Namespace: or(p.Addons.Vault.Namespace, "vault"), ServiceAccount: VaultServiceAccount, Role: n.AddonRole("vault")})
	}
	if _, ok := p.VaultSnapshotsIn(n.env); ok {
		out = append(out, PodIdentity{ID: VaultSnapshotsID, Namespace: or(p.Addons.Vault.Namespace, "vault"), ServiceAccount: vaultnames.Snapshots, Role: n.VaultSnapshotsRole()})
	}
	for _, svc := range p.ServiceList {
		if !svc.Enabled(env) || !svc.AWS.Any() {
			continue
		}
		out = append(out, PodIdentity{ID: "svc_" + Ident(svc.Name), Namespace: svc.Namespace, ServiceAccount: svc.Name, Role: n.ServiceRole(svc.Name), Service: svc})
	}
	return out
}

// ServiceQueues lists the service queues of the environment, each once,
// sorted (two services may share a queue).
func (n Names) ServiceQueues(p *model.Platform) []string {
	var out []string
	for _, svc := range p.ServiceList {
		if svc.Enabled(n.env.Name) {
			out = append(out, svc.AWS.Queues...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// ServiceBuckets lists the service buckets of the environment, each once.
func (n Names) ServiceBuckets(p *model.Platform) []string {
	var out []string
	for _, svc := range p.ServiceList {
		if svc.Enabled(n.env.Name) {
			out = append(out, svc.AWS.Buckets...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Ident turns a model name into a Terraform identifier ("order-worker" ->
// "order_worker"). Model names are DNS labels, so this stays unique.
func Ident(name string) string {
	b := []byte(name)
	for i, c := range b {
		if c == '-' || c == '.' || c == '/' {
			b[i] = '_'
		}
	}
	return string(b)
}

// Kinds of Named.
const (
	KindCluster       = "eks-cluster"
	KindRole          = "iam-role"
	KindQueue         = "sqs-queue"
	KindBucket        = "s3-bucket"
	KindKMSAlias      = "kms-alias"
	KindECRRepository = "ecr-repository"
	KindDynamoDBTable = "dynamodb-table"
	KindSNSTopic      = "sns-topic"
	KindTag           = "tag"
)

// Named is one AWS name of an environment.
type Named struct {
	Kind string
	Name string
}

// Catalog lists every AWS name the Kubernetes side of env may refer to:
// the cluster, the roles of pod identities and of Karpenter's nodes, the
// queues, buckets and key aliases, the ECR repositories, and the discovery
// tag value. Each must be declared by the environment's Terraform; the
// cross-check tests hold both sides to it.
func (n Names) Catalog(p *model.Platform) []Named {
	out := []Named{{KindCluster, n.Cluster()}}
	for _, id := range n.PodIdentities(p) {
		out = append(out, Named{KindRole, id.Role})
	}
	if p.Addons.Karpenter.In(n.env.Name) {
		_, v := n.DiscoveryTag()
		out = append(out, Named{KindRole, n.KarpenterNodeRole()}, Named{KindQueue, n.InterruptionQueue()}, Named{KindTag, v},
			Named{KindKMSAlias, n.NodeVolumeKeyAlias()})
	}
	for _, q := range n.ServiceQueues(p) {
		out = append(out, Named{KindQueue, n.ServiceQueue(q)})
	}
	for _, b := range n.ServiceBuckets(p) {
		out = append(out, Named{KindBucket, n.ServiceBucket(b)})
	}
	out = append(out, n.serviceDataCatalog(p)...)
	if p.Addons.Velero.In(n.env.Name) {
		out = append(out, Named{KindBucket, n.BackupBucket()}, Named{KindKMSAlias, n.BackupKeyAlias()})
	}
	if p.Addons.Vault.In(n.env.Name) {
		out = append(out, Named{KindKMSAlias, n.VaultUnsealKeyAlias()})
	}
	if !n.Registry().Central {
		for _, svc := range p.ServiceList {
			if svc.Enabled(n.env.Name) {
				out = append(out, Named{KindECRRepository, n.ECRRepository(svc.Name)})
			}
		}
	}
	return out
}

// AccountRootARN is the principal that stands for the whole account in
// trust and key policies (delegating to the account's IAM policies).
func (n Names) AccountRootARN() string {
	return fmt.Sprintf("arn:%s:iam::%s:root", Partition, n.env.Account)
}

// DiscoveryTagKey is the key of DiscoveryTag.
const DiscoveryTagKey = "karpenter.sh/discovery"
