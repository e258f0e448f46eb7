package terraform

import (
	"encoding/json"
	"fmt"

	"github.com/idpgen/idpgen/internal/awsnames"
	"github.com/idpgen/idpgen/internal/diag"
	"github.com/idpgen/idpgen/internal/vaultnames"
)

// serviceRole declares a role an AWS service assumes, with its trust
// policy, in iam.tf.json. It returns the role's address.
func (b *builder) serviceRole(id, name, desc, service string, tags obj, conds ...condition) string {
	actions := []string{"sts:AssumeRole"}
	if service == podsPrincipal || service == "eks.amazonaws.com" {
		actions = append(actions, "sts:TagSession")
	}
	trust := b.policy("iam", id+"_trust", statement{
		Sid:        "TrustService",
		Actions:    actions,
		Principals: []principal{{Type: "Service", Identifiers: []string{service}}},
		Conditions: conds,
	})
	body := obj{
		"name":               name,
		"description":        desc,
		"assume_role_policy": trust,
	}
	if tags != nil {
		body["tags"] = tags
	}
	return b.resource("iam", "aws_iam_role", id, body)
}

// podsPrincipal is the service EKS Pod Identity assumes roles as.
const podsPrincipal = "pods.eks.amazonaws.com"

// inlinePolicy attaches an inline policy to a role.
func (b *builder) inlinePolicy(id, role, name string, stmts ...statement) {
	doc := b.policy("iam", id, stmts...)
	b.resource("iam", "aws_iam_role_policy", id, obj{
		"name":   name,
		"role":   ref(role, "id"),
		"policy": doc,
	})
}

// attach attaches AWS managed policies to a role.
func (b *builder) attach(id, role string, policies ...string) []string {
	var addrs []string
	for _, p := range policies {
		addrs = append(addrs, b.resource("iam", "aws_iam_role_policy_attachment", tfName(id, shortPolicy(p)), obj{
			"role":       ref(role, "name"),
			"policy_arn": awsnames.AWSManagedPolicyARN(p),
		}))
	}
	return addrs
}

func shortPolicy(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			return p[i+1:]
		}
	}
	return p
}

// iam writes the roles of the control plane, nodes, teams and pod
// identities, Karpenter's interruption queue, and the Pod Identity
// associations.
func (b *builder) iam() {
	const f = "iam"
	n := b.n

	// Control plane.
	cluster := b.serviceRole("cluster", n.ClusterRole(), "EKS control plane of "+n.Cluster(), "eks.amazonaws.com", nil)
	b.attach("cluster", cluster, "AmazonEKSClusterPolicy")
	b.inlinePolicy("cluster_secrets_encryption", cluster, "secrets-encryption", statement{
		Sid:     "EnvelopeEncryptionOfSecrets",
		Actions: []string{"kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"},
		Refs:    []expr{ref(keyAddr("eks_secrets"), "arn")},
	})

	// Nodes: the managed system node group, and Karpenter's nodes.
	system := b.serviceRole("system_node", n.SystemNodeRole(), "Managed system node group of "+n.Cluster(), "ec2.amazonaws.com", nil)
	b.attach("system_node", system, b.nodePolicies()...)
	if b.karpenter() {
		node := b.serviceRole("karpenter_node", n.KarpenterNodeRole(), "Nodes Karpenter launches in "+n.Cluster(), "ec2.amazonaws.com", nil)
		b.attach("karpenter_node", node, b.nodePolicies()...)
		b.interruptionQueue()
	}

	// Teams: a role per team, assumable only from the roles of the team's
	// SSO permission set, with read-only access to its namespaces.
	for _, t := range b.p.TeamList {
		id := "team_" + tfName(t.Name)
		trust := b.policy(f, id+"_trust", b.teamTrust(t))
		role := b.resource(f, "aws_iam_role", id, obj{
			"name":               n.TeamRole(t.Name),
			"description":        fmt.Sprintf("Read-only access of team %s (SSO group %s) to %s", t.Name, t.SSOGroup, n.Cluster()),
			"assume_role_policy": trust,
			"tags":               b.teamTags(t.Name, nil),
		})
		b.inlinePolicy(id+"_kubeconfig", role, "kubeconfig", statement{
			Sid:       "DescribeCluster",
			Actions:   []string{"eks:DescribeCluster"},
			Resources: []string{n.ClusterARN()},
		})
	}

	// Pod identities.
	for _, id := range n.PodIdentities(b.p) {
		desc := fmt.Sprintf("Pod Identity of %s/%s in %s", id.Namespace, id.ServiceAccount, n.Cluster())
		var tags obj
		if id.Service != nil {
			tags = b.teamTags(id.Service.Team, nil)
		}
		role := b.serviceRole(id.ID, id.Role, desc, podsPrincipal, tags, b.podTrust(id)...)
		switch {
		case id.ID == "vpc_cni":
			b.attach(id.ID, role, "AmazonEKS_CNI_Policy")
		case id.ID == "karpenter":
			b.inlinePolicy("karpenter_controller", role, "karpenter-controller", b.karpenterController()...)
		case id.ID == "aws_load_balancer_controller":
			b.inlinePolicy("aws_load_balancer_controller", role, "aws-load-balancer-controller", b.loadBalancerController()...)
		case id.ID == "ebs_csi":
			b.attach(id.ID, role, "service-role/AmazonEBSCSIDriverPolicy")
		case id.ID == "velero":
			b.inlinePolicy("velero", role, "velero", b.veleroPolicy()...)
		case id.ID == "vault":
			b.inlinePolicy("vault_unseal", role, "vault-kms-unseal", statement{
				Sid:     "AutoUnseal",
				Actions: []string{"kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"},
				Refs:    []expr{ref(keyAddr("vault_unseal"), "arn")},
			})
		case id.ID == awsnames.VaultSnapshotsID:
			b.inlinePolicy(id.ID, role, "vault-snapshots", b.vaultSnapshotsPolicy()...)
		case id.Service != nil:
			stmts := b.servicePolicy(id)
			if n := policySize(stmts); n > maxInlinePolicy && b.err == nil {
				b.err = diag.At(id.Service.Src, "aws", "the role of service %q would have an inline policy of about %d characters (each ARN known only after apply counted as %d), over IAM's limit of %d for a role's inline policies: declare fewer resources, or fewer reviewed statements", id.Service.Name, n, refLength, maxInlinePolicy)
			}
			b.inlinePolicy(id.ID, role, "service-resources", stmts...)
			b.annotate(f, reviewNote(id.Service), "data", "aws_iam_policy_document", id.ID)
		}
		if id.EKSAddon != "" {
			continue // bound in the add-on's pod_identity_association
		}
		b.resource(f, "aws_eks_pod_identity_association", id.ID, obj{
			"cluster_name":    ref(clusterAddr, "name"),
			"namespace":       id.Namespace,
			"service_account": id.ServiceAccount,
			"role_arn":        ref(role, "arn"),
		})
	}
}

// interruptionQueue is the SQS queue Karpenter watches for spot
// interruptions, rebalance recommendations, scheduled maintenance and
// instance state changes, fed by EventBridge.
func (b *builder) interruptionQueue() {
	const f = "iam"
	n := b.n
	q := b.resource(f, "aws_sqs_queue", "karpenter_interruption", obj{
		"name":                      n.InterruptionQueue(),
		"message_retention_seconds": 300,
		"kms_master_key_id":         ref(queuesKey, "arn"),
		"//":                        "No dead-letter queue: an interruption notice is worth acting on only within its two-minute warning, and Karpenter deletes what it cannot parse.",
	})
	queueARN := n.QueueARN(n.InterruptionQueue())
	doc := b.policy(f, "karpenter_interruption_queue", statement{
		Sid:        "EventBridgeDelivers",
		Actions:    []string{"sqs:SendMessage"},
		Resources:  []string{queueARN},
		Principals: []principal{{Type: "Service", Identifiers: []string{"events.amazonaws.com", "sqs.amazonaws.com"}}},
	}, statement{
		Sid:        "DenyInsecureTransport",
		Effect:     "Deny",
		Actions:    []string{"sqs:*"},
		Resources:  []string{queueARN},
		Principals: []principal{{Type: "AWS", Identifiers: []string{"*"}}},
		Conditions: []condition{{Test: "Bool", Variable: "aws:SecureTransport", Values: []string{"false"}}},
	})
	b.resource(f, "aws_sqs_queue_policy", "karpenter_interruption", obj{"queue_url": ref(q, "id"), "policy": doc})

	rules := []struct{ id, source, detail string }{
		{"health", "aws.health", "AWS Health Event"},
		{"spot_interruption", "aws.ec2", "EC2 Spot Instance Interruption Warning"},
		{"rebalance", "aws.ec2", "EC2 Instance Rebalance Recommendation"},
		{"state_change", "aws.ec2", "EC2 Instance State-change Notification"},
	}
	for _, r := range rules {
		pattern, _ := json.Marshal(map[string][]string{"source": {r.source}, "detail-type": {r.detail}})
		rule := b.resource(f, "aws_cloudwatch_event_rule", "karpenter_"+r.id, obj{
			"name":          n.InterruptionRule(tfDash(r.id)),
			"description":   "Karpenter interruption handling: " + r.detail,
			"event_pattern": string(pattern),
		})
		b.resource(f, "aws_cloudwatch_event_target", "karpenter_"+r.id, obj{
			"rule":      ref(rule, "name"),
			"target_id": "karpenter-interruption-queue",
			"arn":       ref(q, "arn"),
		})
	}
}

func tfDash(s string) string {
	out := []byte(s)
	for i, c := range out {
		if c == '_' {
			out[i] = '-'
		}
	}
	return string(out)
}

// karpenterController is the Karpenter v1 controller policy (getting-started
// CloudFormation template), scoped to this cluster, region and account.
func (b *builder) karpenterController() []statement {
	n := b.n
	region, acct, cluster := b.env.Region, b.env.Account, n.Cluster()
	// EC2 resources of this account; AMIs and their snapshots carry no
	// account in their ARN (Amazon's and the account's alike).
	ec2 := n.EC2ARN
	ownedTag := "aws:ResourceTag/kubernetes.io/cluster/" + cluster
	reqOwned := "aws:RequestTag/kubernetes.io/cluster/" + cluster
	profile := fmt.Sprintf("arn:aws:iam::%s:instance-profile/*", acct)
	created := []string{ec2("fleet/*"), ec2("instance/*"), ec2("volume/*"), ec2("network-interface/*"), ec2("launch-template/*"), ec2("spot-instances-request/*")}
	return []statement{
		{Sid: "AllowScopedEC2InstanceAccessActions", Actions: []string{"ec2:RunInstances", "ec2:CreateFleet"},
			Resources: []string{fmt.Sprintf("arn:aws:ec2:%s::image/*", region), fmt.Sprintf("arn:aws:ec2:%s::snapshot/*", region), ec2("security-group/*"), ec2("subnet/*"), ec2("capacity-reservation/*")}},
		{Sid: "AllowScopedEC2LaunchTemplateAccessActions", Actions: []string{"ec2:RunInstances", "ec2:CreateFleet"},
			Resources:  []string{ec2("launch-template/*")},
			Conditions: []condition{equals(ownedTag, "owned"), like("aws:ResourceTag/karpenter.sh/nodepool", "*")}},
		{Sid: "AllowScopedEC2InstanceActionsWithTags", Actions: []string{"ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"},
			Resources:  created,
			Conditions: []condition{equals(reqOwned, "owned"), equals("aws:RequestTag/eks:eks-cluster-name", cluster), like("aws:RequestTag/karpenter.sh/nodepool", "*")}},
		{Sid: "AllowScopedResourceCreationTagging", Actions: []string{"ec2:CreateTags"},
			Resources: created,
			Conditions: []condition{equals(reqOwned, "owned"), equals("aws:RequestTag/eks:eks-cluster-name", cluster),
				equals("ec2:CreateAction", "RunInstances", "CreateFleet", "CreateLaunchTemplate"), like("aws:RequestTag/karpenter.sh/nodepool", "*")}},
		{Sid: "AllowScopedResourceTagging", Actions: []string{"ec2:CreateTags"},
			Resources: []string{ec2("instance/*")},
			Conditions: []condition{equals(ownedTag, "owned"), like("aws:ResourceTag/karpenter.sh/nodepool", "*"),
				{Test: "StringEqualsIfExists", Variable: "aws:RequestTag/eks:eks-cluster-name", Values: []string{cluster}},
				{Test: "ForAllValues:StringEquals", Variable: "aws:TagKeys", Values: []string{"eks:eks-cluster-name", "karpenter.sh/nodeclaim", "Name"}}}},
		{Sid: "AllowScopedDeletion", Actions: []string{"ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"},
			Resources:  []string{ec2("instance/*"), ec2("launch-template/*")},
			Conditions: []condition{equals(ownedTag, "owned"), like("aws:ResourceTag/karpenter.sh/nodepool", "*")}},
		{Sid: "AllowRegionalReadActions", Actions: []string{"ec2:DescribeAvailabilityZones", "ec2:DescribeCapacityReservations", "ec2:DescribeImages", "ec2:DescribeInstances",
			"ec2:DescribeInstanceTypeOfferings", "ec2:DescribeInstanceTypes", "ec2:DescribeLaunchTemplates", "ec2:DescribeSecurityGroups", "ec2:DescribeSpotPriceHistory", "ec2:DescribeSubnets"},
			Resources: []string{"*"}, Conditions: []condition{equals("aws:RequestedRegion", region)}},
		{Sid: "AllowSSMReadActions", Actions: []string{"ssm:GetParameter"}, Resources: []string{fmt.Sprintf("arn:aws:ssm:%s::parameter/aws/service/*", region)}},
		{Sid: "AllowPricingReadActions", Actions: []string{"pricing:GetProducts"}, Resources: []string{"*"}},
		{Sid: "AllowInterruptionQueueActions", Actions: []string{"sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"}, Refs: []expr{ref(interruptQ, "arn")}},
		b.queueKeyUse("kms:Decrypt"),
		{Sid: "AllowPassingInstanceRole", Actions: []string{"iam:PassRole"}, Resources: []string{n.RoleARN(n.KarpenterNodeRole())},
			Conditions: []condition{equals("iam:PassedToService", "ec2.amazonaws.com")}},
		{Sid: "AllowScopedInstanceProfileCreationActions", Actions: []string{"iam:CreateInstanceProfile"}, Resources: []string{profile},
			Conditions: []condition{equals(reqOwned, "owned"), equals("aws:RequestTag/eks:eks-cluster-name", cluster), equals("aws:RequestTag/topology.kubernetes.io/region", region),
				like("aws:RequestTag/karpenter.k8s.aws/ec2nodeclass", "*")}},
		{Sid: "AllowScopedInstanceProfileTagActions", Actions: []string{"iam:TagInstanceProfile"}, Resources: []string{profile},
			Conditions: []condition{equals(ownedTag, "owned"), equals("aws:ResourceTag/topology.kubernetes.io/region", region), equals(reqOwned, "owned"),
				equals("aws:RequestTag/eks:eks-cluster-name", cluster), equals("aws:RequestTag/topology.kubernetes.io/region", region),
				like("aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass", "*"), like("aws:RequestTag/karpenter.k8s.aws/ec2nodeclass", "*")}},
		{Sid: "AllowScopedInstanceProfileActions", Actions: []string{"iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile", "iam:DeleteInstanceProfile"}, Resources: []string{profile},
			Conditions: []condition{equals(ownedTag, "owned"), equals("aws:ResourceTag/topology.kubernetes.io/region", region), like("aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass", "*")}},
		{Sid: "AllowInstanceProfileReadActions", Actions: []string{"iam:GetInstanceProfile", "iam:ListInstanceProfiles"}, Resources: []string{profile}},
		{Sid: "AllowAPIServerEndpointDiscovery", Actions: []string{"eks:DescribeCluster"}, Resources: []string{n.ClusterARN()}},
	}
}

// loadBalancerController is the AWS Load Balancer Controller policy
// (upstream docs/install/iam_policy.json), with ARNs scoped to the
// environment's region and account, and what it creates or changes
// scoped to what it tagged for this cluster (elbv2.k8s.aws/cluster: the
// cluster's name, the controller's --cluster-name).
func (b *builder) loadBalancerController() []statement {
	region, acct := b.env.Region, b.env.Account
	elb := func(res string) string {
		return fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:%s", region, acct, res)
	}
	lbs := []string{elb("targetgroup/*/*"), elb("loadbalancer/net/*/*"), elb("loadbalancer/app/*/*")}
	tagged := equals("aws:ResourceTag/"+lbcClusterTag, b.n.Cluster())
	tagging := equals("aws:RequestTag/"+lbcClusterTag, b.n.Cluster())
	stmts := []statement{
		{Sid: "CreateServiceLinkedRole", Actions: []string{"iam:CreateServiceLinkedRole"}, Resources: []string{fmt.Sprintf("arn:aws:iam::%s:role/aws-service-role/elasticloadbalancing.amazonaws.com/*", acct)},
			Conditions: []condition{equals("iam:AWSServiceName", "elasticloadbalancing.amazonaws.com")}},
		{Sid: "Describe", Actions: []string{"ec2:DescribeAccountAttributes", "ec2:DescribeAddresses", "ec2:DescribeAvailabilityZones", "ec2:DescribeInternetGateways",
			"ec2:DescribeVpcs", "ec2:DescribeVpcPeeringConnections", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:DescribeInstances",
			"ec2:DescribeNetworkInterfaces", "ec2:DescribeTags", "ec2:GetCoipPoolUsage", "ec2:DescribeCoipPools", "ec2:GetSecurityGroupsForVpc", "ec2:DescribeIpamPools", "ec2:DescribeRouteTables",
			"elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeLoadBalancerAttributes", "elasticloadbalancing:DescribeListeners",
			"elasticloadbalancing:DescribeListenerCertificates", "elasticloadbalancing:DescribeSSLPolicies", "elasticloadbalancing:DescribeRules",
			"elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetGroupAttributes", "elasticloadbalancing:DescribeTargetHealth",
			"elasticloadbalancing:DescribeTags", "elasticloadbalancing:DescribeTrustStores", "elasticloadbalancing:DescribeListenerAttributes", "elasticloadbalancing:DescribeCapacityReservation"},
			Resources: []string{"*"}},
		{Sid: "Integrations", Actions: []string{"cognito-idp:DescribeUserPoolClient", "acm:ListCertificates", "acm:DescribeCertificate", "iam:ListServerCertificates",
			"iam:GetServerCertificate", "waf-regional:GetWebACL", "waf-regional:GetWebACLForResource", "wafv2:GetWebACL", "wafv2:GetWebACLForResource",
			"shield:GetSubscriptionState", "shield:DescribeProtection"},
			Resources: []string{"*"}},
		// Attaching a web ACL or Shield protection is authorised on the
		// web ACL, the load balancer and the protection.
		{Sid: "AttachWebACLs", Actions: []string{"waf-regional:AssociateWebACL", "waf-regional:DisassociateWebACL", "wafv2:AssociateWebACL", "wafv2:DisassociateWebACL"},
			Resources: []string{fmt.Sprintf("arn:aws:waf-regional:%s:%s:webacl/*", region, acct), fmt.Sprintf("arn:aws:wafv2:%s:%s:regional/webacl/*/*", region, acct), elb("loadbalancer/app/*/*")}},
		{Sid: "ShieldProtections", Actions: []string{"shield:CreateProtection", "shield:DeleteProtection"},
			Resources: []string{fmt.Sprintf("arn:aws:shield::%s:protection/*", acct)}},
	}
	stmts = append(stmts, b.lbcSecurityGroups()...)
	return append(stmts, []statement{
		{Sid: "CreateLoadBalancers", Actions: []string{"elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"}, Resources: lbs,
			Conditions: []condition{tagging}},
		{Sid: "ManageListenersAndRules", Actions: []string{"elasticloadbalancing:CreateListener", "elasticloadbalancing:DeleteListener", "elasticloadbalancing:CreateRule", "elasticloadbalancing:DeleteRule"},
			Resources: []string{elb("loadbalancer/net/*/*"), elb("loadbalancer/app/*/*"), elb("listener/net/*/*/*"), elb("listener/app/*/*/*"), elb("listener-rule/net/*/*/*"), elb("listener-rule/app/*/*/*")}},
		{Sid: "RetagOwnLoadBalancers", Actions: []string{"elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"}, Resources: lbs,
			Conditions: []condition{null("aws:RequestTag/"+lbcClusterTag, true), tagged}},
		{Sid: "TagListeners", Actions: []string{"elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"},
			Resources: []string{elb("listener/net/*/*/*"), elb("listener/app/*/*/*"), elb("listener-rule/net/*/*/*"), elb("listener-rule/app/*/*/*")}},
		{Sid: "ModifyOwnLoadBalancers", Actions: []string{"elasticloadbalancing:ModifyLoadBalancerAttributes", "elasticloadbalancing:SetIpAddressType", "elasticloadbalancing:SetSecurityGroups",
			"elasticloadbalancing:SetSubnets", "elasticloadbalancing:DeleteLoadBalancer", "elasticloadbalancing:ModifyTargetGroup", "elasticloadbalancing:ModifyTargetGroupAttributes",
			"elasticloadbalancing:DeleteTargetGroup", "elasticloadbalancing:ModifyListenerAttributes", "elasticloadbalancing:ModifyCapacityReservation", "elasticloadbalancing:ModifyIpPools"},
			Resources: lbs, Conditions: []condition{tagged}},
		{Sid: "TagOnCreate", Actions: []string{"elasticloadbalancing:AddTags"}, Resources: lbs,
			Conditions: []condition{equals("elasticloadbalancing:CreateAction", "CreateTargetGroup", "CreateLoadBalancer"), tagging}},
		{Sid: "RegisterTargets", Actions: []string{"elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"}, Resources: []string{elb("targetgroup/*/*")}},
		{Sid: "ModifyListeners", Actions: []string{"elasticloadbalancing:SetWebAcl", "elasticloadbalancing:ModifyListener", "elasticloadbalancing:AddListenerCertificates",
			"elasticloadbalancing:RemoveListenerCertificates", "elasticloadbalancing:ModifyRule", "elasticloadbalancing:SetRulePriorities"},
			Resources: []string{elb("loadbalancer/net/*/*"), elb("loadbalancer/app/*/*"), elb("listener/net/*/*/*"), elb("listener/app/*/*/*"), elb("listener-rule/net/*/*/*"), elb("listener-rule/app/*/*/*")}},
	}...)
}

// veleroPolicy lets Velero write backups to the backup bucket (encrypted
// with the backup key) and snapshot EBS volumes in the region.
func (b *builder) veleroPolicy() []statement {
	n := b.n
	region := b.env.Region
	bucket := n.BucketARN(n.BackupBucket())
	stmts := []statement{
		{Sid: "DescribeVolumes", Actions: []string{"ec2:DescribeVolumes", "ec2:DescribeSnapshots"}, Resources: []string{"*"},
			Conditions: []condition{equals("aws:RequestedRegion", region)}},
	}
	stmts = append(stmts, b.veleroSnapshots()...)
	return append(stmts, []statement{
		{Sid: "BackupObjects", Actions: []string{"s3:GetObject", "s3:DeleteObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"},
			Resources: []string{bucket + "/*"}},
		{Sid: "BackupBucket", Actions: []string{"s3:ListBucket"}, Resources: []string{bucket}},
		{Sid: "BackupKey", Actions: []string{"kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"}, Refs: []expr{ref(keyAddr("backups"), "arn")}},
	}...)
}

// vaultSnapshotsPolicy lets the Vault snapshot CronJob write new objects
// below its environment's prefix of the backup bucket, encrypted with the
// backup key, and nothing else: it cannot read, list, delete or overwrite
// a locked version, so a stolen token cannot touch Velero's backups or
// the older snapshots.
func (b *builder) vaultSnapshotsPolicy() []statement {
	n := b.n
	prefix := n.BucketARN(n.BackupBucket()) + "/" + vaultnames.SnapshotPrefix(b.env.Name) + "*"
	return []statement{
		{Sid: "PutSnapshots", Actions: []string{"s3:PutObject"}, Resources: []string{prefix}},
		{Sid: "EncryptSnapshots", Actions: []string{"kms:GenerateDataKey", "kms:Encrypt"}, Refs: []expr{ref(keyAddr("backups"), "arn")}},
	}
}

// servicePolicy grants a service what it declares in aws: its queues,
// buckets, tables, topics, SES identities, secrets and reviewed statements
// (serviceaws.go), nothing else.
func (b *builder) servicePolicy(id awsnames.PodIdentity) []statement {
	n := b.n
	var stmts []statement
	if q := id.Service.AWS.Queues; len(q) > 0 {
		var arns []string
		for _, name := range q {
			arns = append(arns, n.QueueARN(n.ServiceQueue(name)))
		}
		stmts = append(stmts, statement{Sid: "Queues", Actions: []string{"sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility",
			"sqs:GetQueueAttributes", "sqs:GetQueueUrl"}, Resources: arns}, b.queueKeyUse("kms:Decrypt", "kms:GenerateDataKey"))
	}
	if bk := id.Service.AWS.Buckets; len(bk) > 0 {
		var buckets, objects []string
		for _, name := range bk {
			arn := n.BucketARN(n.ServiceBucket(name))
			buckets = append(buckets, arn)
			objects = append(objects, arn+"/*")
		}
		stmts = append(stmts,
			statement{Sid: "ListBuckets", Actions: []string{"s3:ListBucket"}, Resources: buckets},
			statement{Sid: "Objects", Actions: []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"}, Resources: objects},
			b.serviceDataKeyUse())
	}
	return append(stmts, b.serviceAccessPolicy(id.Service)...)
}

// maxInlinePolicy is IAM's limit on the inline policies of one role, in
// characters not counting whitespace: a larger policy passes every check
// here and fails `terraform apply`.
const maxInlinePolicy = 10240

// refLength stands for the value of a reference (an ARN known only once
// applied) when a policy's size is estimated.
const refLength = 100

// policySize estimates the size of the policy document IAM stores for
// stmts, as compact JSON.
func policySize(stmts []statement) int {
	n := len(`{"Version":"2012-10-17","Statement":[]}`)
	quoted := func(ss []string) int {
		m := 0
		for _, s := range ss {
			m += len(s) + 3 // quotes and a comma
		}
		return m
	}
	for _, s := range stmts {
		n += len(`{"Sid":"","Effect":"Allow","Action":[],"Resource":[]},`) + len(s.Sid)
		n += quoted(s.Actions) + quoted(s.Resources) + len(s.Refs)*(refLength+3)
		for _, p := range s.Principals {
			n += len(`"Principal":{"":[]},`) + len(p.Type) + quoted(p.Identifiers)
		}
		for _, c := range s.Conditions {
			n += len(`"Condition":{"":{"":[]}},`) + len(c.Test) + len(c.Variable) + quoted(c.Values) + len(c.Refs)*(refLength+3)
		}
	}
	return n
}
