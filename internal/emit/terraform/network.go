package terraform

import (
	"github.com/idpgen/idpgen/internal/netplan"
)

const allIPv4 = "0.0.0.0/0"

// network writes the VPC: subnets computed by netplan, internet and NAT
// gateways, route tables, VPC endpoints and flow logs.
func (b *builder) network() {
	const f = "network"
	n, net := b.n, b.env.Network
	discoveryKey, discoveryValue := n.DiscoveryTag()
	clusterTag := "kubernetes.io/cluster/" + n.Cluster()

	b.resource(f, "aws_vpc", "main", obj{
		"cidr_block":           b.layout.VPC.String(),
		"enable_dns_support":   true,
		"enable_dns_hostnames": true,
		"tags":                 b.nameTag(),
	})
	// The default security group of a VPC allows all traffic between its
	// members; taking it over with no rules closes it (CIS AWS 5.4).
	b.resource(f, "aws_default_security_group", "main", obj{
		"vpc_id": ref(vpcAddr, "id"),
		"tags":   b.nameTag("default-closed"),
	})

	// Subnets, with the tags the AWS Load Balancer Controller (role tags)
	// and Karpenter (discovery tag) select them by.
	for _, s := range b.layout.Subnets {
		tags := b.nameTag(s.Kind, s.Suffix())
		switch s.Kind {
		case netplan.Public:
			tags["kubernetes.io/role/elb"] = "1"
			tags[clusterTag] = "shared"
		case netplan.Private:
			tags["kubernetes.io/role/internal-elb"] = "1"
			tags[clusterTag] = "shared"
			tags[discoveryKey] = discoveryValue
		}
		b.resource(f, "aws_subnet", tfName(s.Kind, s.Suffix()), obj{
			"vpc_id":                  ref(vpcAddr, "id"),
			"cidr_block":              s.CIDR.String(),
			"availability_zone":       s.Zone,
			"map_public_ip_on_launch": false,
			"tags":                    tags,
		})
	}

	igw := b.resource(f, "aws_internet_gateway", "main", obj{"vpc_id": ref(vpcAddr, "id"), "tags": b.nameTag()})

	// Public: one route table, default route to the internet gateway.
	publicRT := b.resource(f, "aws_route_table", "public", obj{"vpc_id": ref(vpcAddr, "id"), "tags": b.nameTag("public")})
	b.resource(f, "aws_route", "public_internet", obj{
		"route_table_id":         ref(publicRT, "id"),
		"destination_cidr_block": allIPv4,
		"gateway_id":             ref(igw, "id"),
	})
	for _, s := range b.layout.Of(netplan.Public) {
		b.resource(f, "aws_route_table_association", tfName("public", s.Suffix()), obj{
			"subnet_id":      ref(subnetAddr(s), "id"),
			"route_table_id": ref(publicRT, "id"),
		})
	}

	// NAT: one per zone in prod (a zone outage keeps the others' egress),
	// one shared in nonprod (each NAT gateway is billed by the hour).
	public := b.layout.Of(netplan.Public)
	natZones := public[:1]
	if net.NATGateways == "perAZ" {
		natZones = public
	}
	natFor := map[string]string{} // zone -> NAT gateway address
	for _, s := range natZones {
		eip := b.resource(f, "aws_eip", tfName("nat", s.Suffix()), obj{
			"domain":     "vpc",
			"tags":       b.nameTag("nat", s.Suffix()),
			"depends_on": []string{igw},
		})
		natFor[s.Zone] = b.resource(f, "aws_nat_gateway", tfName("nat", s.Suffix()), obj{
			"allocation_id": ref(eip, "id"),
			"subnet_id":     ref(subnetAddr(s), "id"),
			"tags":          b.nameTag("nat", s.Suffix()),
			"depends_on":    []string{igw},
		})
	}
	if len(natZones) == 1 {
		b.annotate(f, "The only NAT gateway, for every zone (network.natGateways: single, the nonprod default): if its zone fails, nodes in every zone lose egress to the internet (images from outside the VPC, AWS APIs without an interface endpoint) until the zone is back, or natGateways is perAZ.",
			"resource", "aws_nat_gateway", tfName("nat", natZones[0].Suffix()))
	}

	// Private: a route table per zone, default route through the zone's
	// NAT gateway (or the shared one).
	var privateRTs []string
	for _, s := range b.layout.Of(netplan.Private) {
		rt := b.resource(f, "aws_route_table", tfName("private", s.Suffix()), obj{"vpc_id": ref(vpcAddr, "id"), "tags": b.nameTag("private", s.Suffix())})
		privateRTs = append(privateRTs, rt)
		nat, ok := natFor[s.Zone]
		if !ok {
			nat = natFor[natZones[0].Zone]
		}
		b.resource(f, "aws_route", tfName("private", s.Suffix(), "nat"), obj{
			"route_table_id":         ref(rt, "id"),
			"destination_cidr_block": allIPv4,
			"nat_gateway_id":         ref(nat, "id"),
		})
		b.resource(f, "aws_route_table_association", tfName("private", s.Suffix()), obj{
			"subnet_id":      ref(subnetAddr(s), "id"),
			"route_table_id": ref(rt, "id"),
		})
	}

	// Intra: no route out of the VPC.
	intraRT := b.resource(f, "aws_route_table", "intra", obj{"vpc_id": ref(vpcAddr, "id"), "tags": b.nameTag("intra")})
	for _, s := range b.layout.Of(netplan.Intra) {
		b.resource(f, "aws_route_table_association", tfName("intra", s.Suffix()), obj{
			"subnet_id":      ref(subnetAddr(s), "id"),
			"route_table_id": ref(intraRT, "id"),
		})
	}

	// S3 gateway endpoint: free, and keeps image layers (ECR stores them in
	// S3) and backups off the NAT gateways.
	b.resource(f, "aws_vpc_endpoint", "s3", obj{
		"vpc_id":            ref(vpcAddr, "id"),
		"service_name":      "com.amazonaws." + b.env.Region + ".s3",
		"vpc_endpoint_type": "Gateway",
		"route_table_ids":   refs("id", append(privateRTs, intraRT)...),
		"tags":              b.nameTag("s3"),
	})
	if len(net.InterfaceEndpoints) > 0 {
		sg := b.resource(f, "aws_security_group", "vpc_endpoints", obj{
			"name":        n.EndpointSecurityGroup(),
			"description": "HTTPS from the VPC to the interface endpoints",
			"vpc_id":      ref(vpcAddr, "id"),
			"tags":        obj{"Name": n.EndpointSecurityGroup()},
		})
		b.resource(f, "aws_vpc_security_group_ingress_rule", "vpc_endpoints_https", obj{
			"security_group_id": ref(sg, "id"),
			"description":       "HTTPS from the VPC",
			"ip_protocol":       "tcp",
			"from_port":         443,
			"to_port":           443,
			"cidr_ipv4":         b.layout.VPC.String(),
		})
		b.annotate(f, endpointCost(len(net.InterfaceEndpoints), len(b.layout.Of(netplan.Intra))), "resource", "aws_security_group", "vpc_endpoints")
		for _, svc := range net.InterfaceEndpoints {
			b.resource(f, "aws_vpc_endpoint", tfName(svc), obj{
				"vpc_id":              ref(vpcAddr, "id"),
				"service_name":        "com.amazonaws." + b.env.Region + "." + svc,
				"vpc_endpoint_type":   "Interface",
				"private_dns_enabled": true,
				"subnet_ids":          b.subnetIDs(netplan.Intra),
				"security_group_ids":  []expr{ref(sg, "id")},
				"tags":                b.nameTag(svc),
			})
		}
	}

	// Flow logs to CloudWatch Logs.
	logs := b.resource(f, "aws_cloudwatch_log_group", "flow_logs", obj{
		"name":              n.FlowLogGroup(),
		"retention_in_days": net.FlowLogs.RetentionDays,
		"kms_key_id":        ref(logsKey, "arn"),
	})
	role := b.serviceRole("flow_logs", n.FlowLogsRole(), "VPC Flow Logs delivery to CloudWatch Logs", "vpc-flow-logs.amazonaws.com", nil,
		equals("aws:SourceAccount", b.env.Account), condition{Test: "ArnLike", Variable: "aws:SourceArn", Values: []string{n.EC2ARN("vpc-flow-log/*")}})
	b.inlinePolicy("flow_logs", role, "flow-logs", statement{
		Sid:     "WriteFlowLogs",
		Actions: []string{"logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"},
		Refs:    []expr{ref(logs, "arn"), ref(logs, "arn") + ":*"},
	})
	b.resource(f, "aws_flow_log", "vpc", obj{
		"vpc_id":                   ref(vpcAddr, "id"),
		"traffic_type":             net.FlowLogs.TrafficType,
		"log_destination_type":     "cloud-watch-logs",
		"log_destination":          ref(logs, "arn"),
		"iam_role_arn":             ref(role, "arn"),
		"max_aggregation_interval": 60,
		"tags":                     b.nameTag("flow-logs"),
	})
}
