// Package awsnames computes, at compile time, every AWS name and ARN the
// platform uses. Terraform declares resources under these names and the
// Kubernetes side (service account roles, Karpenter, Velero, Vault) refers
// to them: both call this package, and nothing is ever read back from
// Terraform state.
package awsnames

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/idpgen/idpgen/internal/model"
)

// Names are the AWS names of one environment.
type Names struct {
	platform string
	env      *model.Environment
	registry *model.Registry // the central ECR, or nil (see registry.go)
}

// For returns the names of env.
func For(p *model.Platform, env *model.Environment) Names {
	return Names{platform: p.Name, env: env, registry: p.AWS.Registry}
}

// Partition is the AWS partition of every supported region.
const Partition = "aws"

// Account is the environment's AWS account id.
func (n Names) Account() string { return n.env.Account }

// Region is the environment's primary region.
func (n Names) Region() string { return n.env.Region }

// Cluster is the EKS cluster name, also the prefix of the environment's
// resources.
func (n Names) Cluster() string { return n.platform + "-" + n.env.Name }

// DiscoveryTag is the tag Karpenter uses to find the cluster's subnets and
// security groups.
func (n Names) DiscoveryTag() (key, value string) { return "karpenter.sh/discovery", n.Cluster() }

// limit shortens name to max characters, keeping it unique with a hash
// suffix. IAM role names allow 64 characters, SQS queues 80, S3 buckets 63.
func limit(name string, max int) string {
	if len(name) <= max {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	suffix := hex.EncodeToString(sum[:])[:8]
	return name[:max-9] + "-" + suffix
}

// role names.

// KarpenterNodeRole is the IAM role of the nodes Karpenter launches.
func (n Names) KarpenterNodeRole() string { return limit(n.Cluster()+"-karpenter-node", 64) }

// KarpenterControllerRole is the IAM role of the Karpenter controller.
func (n Names) KarpenterControllerRole() string { return limit(n.Cluster()+"-karpenter", 64) }

// AddonRole is the IAM role of a cluster add-on that talks to AWS (e.g.
// "aws-load-balancer-controller", "ebs-csi", "velero", "vault").
func (n Names) AddonRole(addon string) string { return limit(n.Cluster()+"-"+addon, 64) }

// ServiceRole is the IAM role a service's pods assume through EKS Pod
// Identity.
func (n Names) ServiceRole(service string) string { return limit(n.Cluster()+"-svc-"+service, 64) }

// AdminRole is the organisation-wide role granted cluster access. (CI has
// none: Argo CD deploys from git; see README, "Security".)
func (n Names) AdminRole(p *model.Platform) string { return p.AWS.AdminRoleName }

// RoleARN is the ARN of a role in the environment's account.
func (n Names) RoleARN(role string) string {
	return fmt.Sprintf("arn:%s:iam::%s:role/%s", Partition, n.env.Account, role)
}

// InterruptionQueue is the SQS queue Karpenter reads spot interruption and
// rebalance events from.
func (n Names) InterruptionQueue() string { return limit(n.Cluster()+"-karpenter-interruption", 80) }

// ServiceQueue is the SQS queue a service declares in aws.queues.
func (n Names) ServiceQueue(queue string) string { return limit(n.Cluster()+"-"+queue, 80) }

// BackupBucket is the S3 bucket Velero writes to. Bucket names are global,
// so the account id is part of it.
func (n Names) BackupBucket() string {
	return limit(n.Cluster()+"-backups-"+n.env.Account, 63)
}

// ServiceBucket is the S3 bucket a service declares in aws.buckets.
func (n Names) ServiceBucket(bucket string) string {
	return limit(n.Cluster()+"-"+bucket+"-"+n.env.Account, 63)
}

// KMS key aliases.
func (n Names) EKSSecretsKeyAlias() string  { return "alias/" + n.Cluster() + "-eks-secrets" }
func (n Names) VaultUnsealKeyAlias() string { return "alias/" + n.Cluster() + "-vault-unseal" }
func (n Names) BackupKeyAlias() string      { return "alias/" + n.Cluster() + "-backups" }

// NodeVolumeKeyAlias is the key that encrypts the root volumes of the
// nodes Karpenter launches (EC2NodeClass blockDeviceMappings kmsKeyID).
func (n Names) NodeVolumeKeyAlias() string { return "alias/" + n.Cluster() + "-node-volumes" }

// ECRRepository is the image repository of a service.
func (n Names) ECRRepository(service string) string { return n.platform + "/" + service }

// StateKey is the Terraform state object of the environment in the
// platform's state bucket.
func (n Names) StateKey() string { return n.platform + "/" + n.env.Name + "/terraform.tfstate" }
