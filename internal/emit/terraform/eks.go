package terraform

import (
	"regexp"
	"slices"

	"github.com/idpgen/idpgen/internal/eksversions"
	"github.com/idpgen/idpgen/internal/model"
	"github.com/idpgen/idpgen/internal/netplan"
)

// EKSAddons are the EKS managed add-ons every cluster gets, in install
// order: the first three before any node exists, the others once the
// system node group can run them (the version table's list).
var EKSAddons = eksversions.Addons

// beforeCompute are the add-ons nodes need to become Ready.
var beforeCompute = []string{"vpc-cni", "kube-proxy", "eks-pod-identity-agent"}

// Access policies (EKS access entries).
const (
	clusterAdminPolicy = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
	viewPolicy         = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
)

// graviton matches Graviton (arm64) instance types: m7g, c7gn, r8g.large…
var graviton = regexp.MustCompile(`^[a-z]+[0-9]+g[a-z]*\.`)

// eks writes the cluster, its security groups, add-ons, the system node
// group and the access entries.
func (b *builder) eks() {
	const f = "eks"
	n, k := b.n, b.env.Kubernetes

	logs := b.resource(f, "aws_cloudwatch_log_group", "eks", obj{
		"name":              n.ClusterLogGroup(),
		"retention_in_days": k.LogRetentionDays,
		"kms_key_id":        ref(logsKey, "arn"),
	})
	vpcConfig := obj{
		"subnet_ids":              b.subnetIDs(netplan.Intra),
		"endpoint_private_access": true,
		"endpoint_public_access":  k.PublicEndpoint,
	}
	if k.PublicEndpoint {
		vpcConfig["public_access_cidrs"] = k.PublicAccessCIDRs
	}
	b.resource(f, "aws_eks_cluster", "main", obj{
		"name":     n.Cluster(),
		"version":  k.Version,
		"role_arn": ref(roleAddr("cluster"), "arn"),
		"access_config": obj{
			"authentication_mode":                         "API",
			"bootstrap_cluster_creator_admin_permissions": false,
		},
		// vpc-cni, kube-proxy and CoreDNS are installed as EKS add-ons
		// below, pinned, instead of EKS's unmanaged copies.
		"bootstrap_self_managed_addons": false,
		"vpc_config":                    vpcConfig,
		"encryption_config": obj{
			"resources": []string{"secrets"},
			"provider":  obj{"key_arn": ref(keyAddr("eks_secrets"), "arn")},
		},
		"enabled_cluster_log_types": k.ControlPlaneLogs,
		"upgrade_policy":            obj{"support_type": k.SupportType},
		// A prod cluster is deleted only after this is turned off first.
		"deletion_protection": b.env.Prod(),
		"depends_on": []string{logs, "aws_iam_role_policy_attachment.cluster_AmazonEKSClusterPolicy",
			"aws_iam_role_policy.cluster_secrets_encryption"},
	})

	b.securityGroups()

	// Access entries: the platform admins get cluster-admin, each team
	// reads its own namespaces, Karpenter's nodes join. (EKS adds the
	// managed node group's role itself.) CI gets none: Argo CD deploys
	// from git, and Terraform's plan and apply need only AWS APIs.
	type access struct {
		id         string
		principal  any // an ARN, or a reference to a role of this module
		policy     string
		namespaces []string
	}
	entries := []access{
		{"admin", n.RoleARN(n.AdminRole(b.p)), clusterAdminPolicy, nil},
	}
	for _, t := range b.p.TeamList {
		entries = append(entries, access{"team_" + tfName(t.Name), ref(roleAddr("team_"+tfName(t.Name)), "arn"), viewPolicy, t.Namespaces})
	}
	for _, e := range entries {
		entry := b.resource(f, "aws_eks_access_entry", e.id, obj{
			"cluster_name":  ref(clusterAddr, "name"),
			"principal_arn": e.principal,
			"type":          "STANDARD",
		})
		scope := obj{"type": "cluster"}
		if len(e.namespaces) > 0 {
			scope = obj{"type": "namespace", "namespaces": e.namespaces}
		}
		b.resource(f, "aws_eks_access_policy_association", e.id, obj{
			"cluster_name":  ref(clusterAddr, "name"),
			"principal_arn": ref(entry, "principal_arn"),
			"policy_arn":    e.policy,
			"access_scope":  scope,
		})
	}
	if b.karpenter() {
		b.resource(f, "aws_eks_access_entry", "karpenter_node", obj{
			"cluster_name":  ref(clusterAddr, "name"),
			"principal_arn": ref(roleAddr("karpenter_node"), "arn"),
			"type":          "EC2_LINUX",
		})
	}

	// Add-ons. An environment's pin wins; otherwise the version table
	// says, for the cluster's minor: "default" is what EKS marks as
	// default for that exact version, looked up by Terraform.
	addonAddr := map[string]string{}
	for _, name := range EKSAddons {
		id := tfName(name)
		var version any = k.Addons[name]
		if version == "" || version == model.AddonVersionDefault {
			version = eksversions.Addon(k.Version, name)
		}
		if version == eksversions.AddonDefault {
			v := b.data(f, "aws_eks_addon_version", id, obj{
				"addon_name":         name,
				"kubernetes_version": k.Version,
				"most_recent":        false,
			})
			version = ref(v, "version")
		}
		body := obj{
			"cluster_name":                ref(clusterAddr, "name"),
			"addon_name":                  name,
			"addon_version":               version,
			"resolve_conflicts_on_create": "OVERWRITE",
			"resolve_conflicts_on_update": "OVERWRITE",
		}
		for _, pi := range n.PodIdentities(b.p) {
			if pi.EKSAddon == name {
				body["pod_identity_association"] = obj{"role_arn": ref(roleAddr(pi.ID), "arn"), "service_account": pi.ServiceAccount}
			}
		}
		if !slices.Contains(beforeCompute, name) {
			body["depends_on"] = []string{"aws_eks_node_group.system"}
		}
		addonAddr[name] = b.resource(f, "aws_eks_addon", id, body)
	}

	// The system node group: small, on demand, tainted so that only
	// cluster-critical pods (which tolerate CriticalAddonsOnly) run there;
	// Karpenter provisions everything else.
	sys := b.env.Sizing.SystemNodes
	amiType := "AL2023_x86_64_STANDARD"
	if graviton.MatchString(sys.InstanceType) {
		amiType = "AL2023_ARM_64_STANDARD"
	}
	lt := b.resource(f, "aws_launch_template", "system", obj{
		"name":                   n.SystemLaunchTemplate(),
		"description":            "System node group of " + n.Cluster() + ": IMDSv2 only, encrypted root volume",
		"update_default_version": true,
		"metadata_options": obj{
			"http_endpoint":               "enabled",
			"http_tokens":                 "required",
			"http_put_response_hop_limit": 1, // pods get AWS credentials from Pod Identity, never from IMDS
			"instance_metadata_tags":      "disabled",
		},
		"block_device_mappings": []obj{{
			"device_name": "/dev/xvda",
			"ebs": obj{
				"volume_size":           50,
				"volume_type":           "gp3",
				"encrypted":             true,
				"delete_on_termination": true,
			},
		}},
		// Only the node security group, as on Karpenter's nodes: it carries
		// the kubernetes.io/cluster/<name> tag, and so does the cluster
		// security group EKS creates. The AWS Load Balancer Controller (and
		// the in-tree service controller) refuse an ENI with two security
		// groups so tagged ("expect exactly one securityGroup tagged with
		// kubernetes.io/cluster/…", aws-load-balancer-controller#1897). The
		// rules in securityGroups open the nodes and the control plane to
		// each other.
		"vpc_security_group_ids": []expr{ref(nodeSGAddr, "id")},
		"tag_specifications": []obj{
			{"resource_type": "instance", "tags": obj{"Name": n.Cluster() + "-system"}},
			{"resource_type": "volume", "tags": obj{"Name": n.Cluster() + "-system"}},
		},
	})
	dependsOn := []string{}
	for _, name := range beforeCompute {
		dependsOn = append(dependsOn, addonAddr[name])
	}
	for _, p := range b.nodePolicies() {
		dependsOn = append(dependsOn, "aws_iam_role_policy_attachment."+tfName("system_node", p))
	}
	b.resource(f, "aws_eks_node_group", "system", obj{
		"cluster_name":    ref(clusterAddr, "name"),
		"node_group_name": n.SystemNodeGroup(),
		"node_role_arn":   ref(roleAddr("system_node"), "arn"),
		"subnet_ids":      b.subnetIDs(netplan.Private),
		"capacity_type":   "ON_DEMAND",
		"ami_type":        amiType,
		"instance_types":  []string{sys.InstanceType},
		"scaling_config":  obj{"min_size": sys.Min, "max_size": sys.Max, "desired_size": sys.Min},
		"update_config":   obj{"max_unavailable": 1},
		"launch_template": obj{"id": ref(lt, "id"), "version": ref(lt, "latest_version")},
		"labels":          obj{"node.idpgen.io/pool": "system"},
		"taint":           []obj{{"key": "CriticalAddonsOnly", "value": "true", "effect": "NO_SCHEDULE"}},
		// The group follows the control plane: after a cluster upgrade,
		// the same apply rolls its nodes to the new minor's AMI (without
		// it, EKS leaves a managed node group on its old version).
		"version":    ref(clusterAddr, "version"),
		"depends_on": dependsOn,
	})
}

// securityGroups writes the node security group (shared by the system
// node group and Karpenter's nodes, which find it by the discovery tag)
// with only the rules the cluster needs, and opens the control plane's
// security group to the nodes.
func (b *builder) securityGroups() {
	const f = "eks"
	n := b.n
	key, value := n.DiscoveryTag()
	node := b.resource(f, "aws_security_group", "node", obj{
		"name":        n.NodeSecurityGroup(),
		"description": "Nodes of " + n.Cluster(),
		"vpc_id":      ref(vpcAddr, "id"),
		"tags":        obj{"Name": n.NodeSecurityGroup(), key: value, "kubernetes.io/cluster/" + n.Cluster(): "owned"},
	})
	type rule struct {
		id, desc, proto string
		from, to        int
		peer            obj
	}
	fromNodes := obj{"referenced_security_group_id": ref(node, "id")}
	fromCluster := obj{"referenced_security_group_id": clusterSG}
	vpc := obj{"cidr_ipv4": b.layout.VPC.String()}
	internet := obj{"cidr_ipv4": allIPv4}
	ingress := []rule{
		{"node_from_nodes", "Pod and node traffic between nodes", "-1", 0, 0, fromNodes},
		{"node_from_cluster_https", "Control plane to extension API servers", "tcp", 443, 443, fromCluster},
		{"node_from_cluster_ports", "Control plane to kubelets and webhooks", "tcp", 1025, 65535, fromCluster},
	}
	egress := []rule{
		{"node_to_vpc", "Anything inside the VPC (pods, control plane, DNS, endpoints)", "-1", 0, 0, vpc},
		{"node_to_internet_https", "HTTPS to image registries and AWS APIs", "tcp", 443, 443, internet},
	}
	write := func(typ string, rules []rule, sg expr) {
		for _, r := range rules {
			body := obj{"security_group_id": sg, "description": r.desc, "ip_protocol": r.proto}
			if r.proto != "-1" {
				body["from_port"], body["to_port"] = r.from, r.to
			}
			for k, v := range r.peer {
				body[k] = v
			}
			b.resource(f, typ, r.id, body)
		}
	}
	write("aws_vpc_security_group_ingress_rule", ingress, ref(node, "id"))
	write("aws_vpc_security_group_egress_rule", egress, ref(node, "id"))
	write("aws_vpc_security_group_ingress_rule", []rule{
		{"cluster_from_nodes_https", "Nodes to the Kubernetes API", "tcp", 443, 443, fromNodes},
	}, clusterSG)
}
