package awsnames

import (
	"fmt"
	"strings"

	"github.com/idpgen/idpgen/internal/model"
)

// Names of the least-privilege foundation (README, "Security"): the VPC
// CNI's own role, the KMS keys of logs, queues and images, dead-letter
// queues and the S3 access-log bucket, and the ARN patterns trust
// policies are conditioned on.

// CNIServiceAccount and CNINamespace are where the VPC CNI (aws-node) runs;
// EKS installs it.
const (
	CNINamespace      = "kube-system"
	CNIServiceAccount = "aws-node"
)

// CNIRole is the Pod Identity role of the VPC CNI, which manages the
// nodes' network interfaces and pod addresses.
func (n Names) CNIRole() string { return n.AddonRole("vpc-cni") }

// SSOPermissionSetRoleARN is the pattern (for ArnLike on aws:PrincipalArn)
// of the roles IAM Identity Center creates in the environment's account for
// a permission set: role/aws-reserved/sso.amazonaws.com/[<region>/]
// AWSReservedSSO_<set>_<16 hex digits>. The suffix is matched character by
// character, so that set "dev" does not match set "dev_admin".
func (n Names) SSOPermissionSetRoleARN(set string) string {
	return fmt.Sprintf("arn:%s:iam::%s:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_%s_%s", Partition, n.env.Account, set, strings.Repeat("?", 16))
}

// DeadLetterQueue is the queue a service queue moves messages to after too
// many failed receives.
func (n Names) DeadLetterQueue(queue string) string { return limit(n.Cluster()+"-"+queue+"-dlq", 80) }

// AccessLogBucket receives the S3 server access logs of the environment's
// buckets.
func (n Names) AccessLogBucket() string {
	return limit(n.Cluster()+"-s3-access-logs-"+n.env.Account, 63)
}

// Key aliases of the keys that encrypt logs (CloudWatch Logs), queues
// (SQS) and images (ECR) of the environment.
func (n Names) LogsKeyAlias() string   { return "alias/" + n.Cluster() + "-logs" }
func (n Names) QueuesKeyAlias() string { return "alias/" + n.Cluster() + "-queues" }
func (n Names) ECRKeyAlias() string    { return "alias/" + n.Cluster() + "-ecr" }

// LogGroupARN is the ARN of a CloudWatch log group of the environment, as
// CloudWatch Logs puts it in the encryption context of the key it uses.
func (n Names) LogGroupARN(group string) string {
	return fmt.Sprintf("arn:%s:logs:%s:%s:log-group:%s", Partition, n.env.Region, n.env.Account, group)
}

// EC2ARN is the ARN of EC2 resources of the environment's account and
// region, e.g. EC2ARN("instance/*").
func (n Names) EC2ARN(resource string) string {
	return fmt.Sprintf("arn:%s:ec2:%s:%s:%s", Partition, n.env.Region, n.env.Account, resource)
}

// RegistryKeyAlias is the key encrypting the central registry's
// repositories, in the registry's account.
func RegistryKeyAlias(p *model.Platform) string { return "alias/" + p.Name + "-ecr" }

// RootARN is the account principal of the central registry's
// account.
func (r Registry) RootARN() string { return fmt.Sprintf("arn:%s:iam::%s:root", Partition, r.Account) }
