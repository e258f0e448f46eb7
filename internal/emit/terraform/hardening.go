package terraform

import (
	"fmt"

	"github.com/idpgen/idpgen/internal/awsnames"
	"github.com/idpgen/idpgen/internal/model"
)

// Least privilege in the foundation (README, "Security"): who may assume
// the roles, and what the add-on roles may touch.

// nodePolicies are the managed policies of the node roles. The VPC CNI's
// AmazonEKS_CNI_Policy is not among them: aws-node has a Pod Identity role
// of its own (the vpc-cni add-on's pod_identity_association), so pods on a
// node cannot borrow it through the node's credentials. Shell access
// through SSM is a setting (kubernetes.nodeSSMAccess), off in prod.
func (b *builder) nodePolicies() []string {
	out := []string{"AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly"}
	if b.env.Kubernetes.NodeSSMAccess {
		out = append(out, "AmazonSSMManagedInstanceCore")
	}
	return out
}

// podTrust are the conditions of a Pod Identity role's trust policy: only
// EKS Pod Identity acting for this cluster, in this account, for the one
// service account of the identity (EKS tags the session with the pod's
// namespace and service account).
func (b *builder) podTrust(id awsnames.PodIdentity) []condition {
	return []condition{
		equals("aws:SourceAccount", b.env.Account),
		{Test: "ArnEquals", Variable: "aws:SourceArn", Values: []string{b.n.ClusterARN()}},
		equals("aws:RequestTag/kubernetes-namespace", id.Namespace),
		equals("aws:RequestTag/kubernetes-service-account", id.ServiceAccount),
	}
}

// teamTrust lets only the roles IAM Identity Center creates for the team's
// permission set assume the team's role: the account is the principal (a
// role ARN principal must exist when the policy is written, and SSO roles
// carry a random suffix), narrowed by aws:PrincipalArn.
func (b *builder) teamTrust(t *model.Team) statement {
	return statement{
		Sid:        "TrustTeamPermissionSet",
		Actions:    []string{"sts:AssumeRole"},
		Principals: []principal{{Type: "AWS", Identifiers: []string{b.n.AccountRootARN()}}},
		Conditions: []condition{{Test: "ArnLike", Variable: "aws:PrincipalArn", Values: []string{b.n.SSOPermissionSetRoleARN(t.PermissionSet)}}},
	}
}

// lbcClusterTag is the tag the AWS Load Balancer Controller puts on what it
// creates, with the cluster's name as value.
const lbcClusterTag = "elbv2.k8s.aws/cluster"

// lbcSecurityGroups are the security group statements of the AWS Load
// Balancer Controller: it creates groups in the environment's VPC only,
// tagged for this cluster; changes and deletes only those; and opens the
// cluster's own groups (the node security group and the cluster security
// group EKS creates, both tagged kubernetes.io/cluster/<name>=owned) to its
// load balancers, in this VPC.
func (b *builder) lbcSecurityGroups() []statement {
	n := b.n
	sg := n.EC2ARN("security-group/*")
	inVPC := condition{Test: "ArnEquals", Variable: "ec2:Vpc", Refs: []expr{ref(vpcAddr, "arn")}}
	tagged := equals("aws:ResourceTag/"+lbcClusterTag, n.Cluster())
	tagging := equals("aws:RequestTag/"+lbcClusterTag, n.Cluster())
	return []statement{
		{Sid: "CreateSecurityGroupInVPC", Actions: []string{"ec2:CreateSecurityGroup"}, Refs: []expr{ref(vpcAddr, "arn")}},
		{Sid: "CreateTaggedSecurityGroup", Actions: []string{"ec2:CreateSecurityGroup"}, Resources: []string{sg}, Conditions: []condition{tagging}},
		{Sid: "TagNewSecurityGroup", Actions: []string{"ec2:CreateTags"}, Resources: []string{sg},
			Conditions: []condition{equals("ec2:CreateAction", "CreateSecurityGroup"), tagging}},
		{Sid: "RetagOwnSecurityGroups", Actions: []string{"ec2:CreateTags", "ec2:DeleteTags"}, Resources: []string{sg},
			Conditions: []condition{null("aws:RequestTag/"+lbcClusterTag, true), tagged}},
		{Sid: "ManageOwnSecurityGroups", Actions: []string{"ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", "ec2:DeleteSecurityGroup"}, Resources: []string{sg},
			Conditions: []condition{tagged, inVPC}},
		{Sid: "OpenClusterSecurityGroups", Actions: []string{"ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"}, Resources: []string{sg},
			Conditions: []condition{equals("aws:ResourceTag/kubernetes.io/cluster/"+n.Cluster(), "owned"), inVPC}},
	}
}

// veleroTag is the tag velero-plugin-for-aws puts on every snapshot it
// takes (the backup's name), and copies onto the volumes it restores.
const veleroTag = "velero.io/backup"

// veleroSnapshots let Velero snapshot the volumes the EBS CSI driver
// created (tagged ebs.csi.aws.com/cluster), tag only what it is creating,
// restore volumes only from its own snapshots and delete only those.
// Snapshot ARNs carry no account.
func (b *builder) veleroSnapshots() []statement {
	n := b.n
	volume := n.EC2ARN("volume/*")
	snapshot := fmt.Sprintf("arn:%s:ec2:%s::snapshot/*", awsnames.Partition, b.env.Region)
	return []statement{
		{Sid: "SnapshotCSIVolumes", Actions: []string{"ec2:CreateSnapshot"}, Resources: []string{volume},
			Conditions: []condition{equals("aws:ResourceTag/ebs.csi.aws.com/cluster", "true")}},
		{Sid: "CreateTaggedSnapshots", Actions: []string{"ec2:CreateSnapshot"}, Resources: []string{snapshot},
			Conditions: []condition{null("aws:RequestTag/"+veleroTag, false)}},
		{Sid: "RestoreFromOwnSnapshots", Actions: []string{"ec2:CreateVolume"}, Resources: []string{snapshot},
			Conditions: []condition{null("aws:ResourceTag/"+veleroTag, false)}},
		{Sid: "CreateRestoredVolumes", Actions: []string{"ec2:CreateVolume"}, Resources: []string{volume},
			Conditions: []condition{null("aws:RequestTag/"+veleroTag, false)}},
		{Sid: "TagOnCreate", Actions: []string{"ec2:CreateTags"}, Resources: []string{volume, snapshot},
			Conditions: []condition{equals("ec2:CreateAction", "CreateSnapshot", "CreateVolume")}},
		{Sid: "DeleteOwnSnapshots", Actions: []string{"ec2:DeleteSnapshot"}, Resources: []string{snapshot},
			Conditions: []condition{null("aws:ResourceTag/"+veleroTag, false)}},
	}
}

// endpointHourly is what an interface endpoint costs per zone and hour in
// us-east-1 and most European regions (AWS PrivateLink pricing), before
// data processing ($0.01 per GB).
const endpointHourly = 0.01

// endpointCost is the comment on the interface endpoints: what they cost.
func endpointCost(endpoints, zones int) string {
	month := float64(endpoints*zones) * endpointHourly * 730
	return fmt.Sprintf("%d interface endpoints in %d zones: about $%.0f a month at $%.2f per endpoint, zone and hour, plus $0.01 per GB processed (network.interfaceEndpoints).", endpoints, zones, month, endpointHourly)
}
