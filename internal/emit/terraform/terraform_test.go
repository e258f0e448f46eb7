package terraform_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/idpgen/idpgen/internal/awsnames"
	. "github.com/idpgen/idpgen/internal/emit/terraform"
	"github.com/idpgen/idpgen/internal/golden"
	"github.com/idpgen/idpgen/internal/model"
	"github.com/idpgen/idpgen/internal/render"
	"github.com/idpgen/idpgen/internal/tfcheck"
	"github.com/idpgen/idpgen/internal/tree"
)

const examplePlatform = "../../../platforms/example"

func loadExample(t *testing.T) *model.Platform {
	t.Helper()
	p, err := render.Load(examplePlatform)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// emit renders only this emitter's files.
func emit(t *testing.T, p *model.Platform) *tree.Tree {
	t.Helper()
	tr, err := render.Model(p, []render.Emitter{New()})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// renderAll renders every registered emitter plus this one, as idpgen
// render does once the emitter is registered.
func renderAll(t *testing.T, p *model.Platform) *tree.Tree {
	t.Helper()
	emitters := render.Emitters()
	if !slices.ContainsFunc(emitters, func(e render.Emitter) bool { return e.Name() == New().Name() }) {
		emitters = append(emitters, New())
	}
	tr, err := render.Model(p, emitters)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// decoded is one root module as plain JSON: file -> object.
type decoded map[string]map[string]any

func decode(t *testing.T, tr *tree.Tree, env string) decoded {
	t.Helper()
	out := decoded{}
	for _, f := range ModuleFiles(tr, env) {
		var m map[string]any
		if err := json.Unmarshal(f.Data, &m); err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		out[strings.TrimSuffix(filepath.Base(f.Name), ".tf.json")] = m
	}
	return out
}

// blocks returns every resource (or data source) of type typ: name -> body.
func (d decoded) blocks(kind, typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, f := range d {
		byType, _ := f[kind].(map[string]any)
		for name, body := range asMap(byType[typ]) {
			out[name] = asMap(body)
		}
	}
	return out
}

func asMap(v any) map[string]any { m, _ := v.(map[string]any); return m }

func strs(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

func TestGolden(t *testing.T) {
	p := loadExample(t)
	tr := emit(t, p)
	var paths []string
	for _, f := range tr.Files() {
		paths = append(paths, f.Path)
	}
	var want []string
	for _, env := range p.EnvironmentList {
		for _, name := range Files {
			want = append(want, Dir(env.Name)+"/"+name+".tf.json")
		}
	}
	for _, name := range RegistryFiles { // the example has a central registry
		want = append(want, RegistryDir+"/"+name+".tf.json")
	}
	slices.Sort(want)
	if !slices.Equal(paths, want) {
		t.Errorf("files:\n got %v\nwant %v", paths, want)
	}
	for _, f := range tr.Files() {
		env := strings.Split(f.Path, "/")[1]
		if strings.HasPrefix(f.Path, RegistryDir+"/") {
			env = "registry"
		}
		golden.Check(t, filepath.Join("testdata", env, filepath.Base(f.Path)), f.Data)
		if !tree.Generated(f.Data) {
			t.Errorf("%s lacks the generated marker", f.Path)
		}
	}
}

func TestDeterministic(t *testing.T) {
	p := loadExample(t)
	a, b := emit(t, p), emit(t, loadExample(t))
	for _, f := range a.Files() {
		g, _ := b.Get(f.Path)
		if !bytes.Equal(f.Data, g.Data) {
			t.Errorf("%s differs between two renders", f.Path)
		}
	}
}

// TestHCL parses every file with hcl/v2 and resolves every reference, as
// idpgen vet does.
func TestHCL(t *testing.T) {
	p := loadExample(t)
	tr := emit(t, p)
	for _, env := range p.EnvironmentList {
		files := ModuleFiles(tr, env.Name)
		m, diags := tfcheck.Load(files)
		if len(diags) > 0 {
			t.Errorf("%s:\n%s", env.Name, tfcheck.Error(diags))
		}
		// Every kind of block the issue asks for is there.
		for _, addr := range []string{
			"aws_vpc.main", "aws_internet_gateway.main", "aws_route_table.public", "aws_vpc_endpoint.s3", "aws_flow_log.vpc",
			"aws_eks_cluster.main", "aws_eks_node_group.system", "aws_launch_template.system", "aws_security_group.node",
			"aws_eks_access_entry.admin", "aws_eks_access_entry.karpenter_node",
			"aws_iam_role.karpenter_node", "aws_iam_role_policy.karpenter_controller", "aws_sqs_queue.karpenter_interruption",
			"aws_cloudwatch_event_rule.karpenter_spot_interruption", "aws_eks_pod_identity_association.karpenter",
			"aws_eks_pod_identity_association.aws_load_balancer_controller", "aws_eks_pod_identity_association.velero",
			"aws_eks_pod_identity_association.vault", "aws_eks_pod_identity_association.svc_checkout",
			"aws_kms_key.eks_secrets", "aws_kms_key.vault_unseal", "aws_kms_key.backups", "aws_s3_bucket.backups",
			"aws_s3_bucket_public_access_block.backups", "aws_s3_bucket_versioning.backups", "aws_s3_bucket_lifecycle_configuration.backups",
			"aws_s3_bucket_server_side_encryption_configuration.backups",
			"output.cluster_name", "output.cluster_endpoint", "output.karpenter_interruption_queue", "output.backup_bucket", "output.pod_identity_role_arns",
		} {
			if _, ok := m.Declared[addr]; !ok {
				t.Errorf("%s: %s is not declared", env.Name, addr)
			}
		}
		for _, a := range EKSAddons {
			if _, ok := m.Declared["aws_eks_addon."+awsnames.Ident(a)]; !ok {
				t.Errorf("%s: add-on %s missing", env.Name, a)
			}
		}
	}
}

func TestRootBlock(t *testing.T) {
	p := loadExample(t)
	tr := emit(t, p)
	for _, env := range p.EnvironmentList {
		d := decode(t, tr, env.Name)
		tf := asMap(d["main"]["terraform"])
		s3 := asMap(asMap(tf["backend"])["s3"])
		if s3["use_lockfile"] != true || s3["bucket"] != p.AWS.StateBucket || s3["key"] != awsnames.For(p, env).StateKey() || s3["dynamodb_table"] != nil {
			t.Errorf("%s: backend %v", env.Name, s3)
		}
		aws := asMap(asMap(tf["required_providers"])["aws"])
		if aws["source"] != "hashicorp/aws" || aws["version"] != "~> 6.34" {
			t.Errorf("%s: provider requirement %v", env.Name, aws)
		}
		// One default provider; an environment with backup regions adds
		// one aliased provider per region (backupregions.go).
		var prov map[string]any
		switch ps := asMap(d["main"]["provider"])["aws"].(type) {
		case []any:
			for _, p := range ps {
				if asMap(p)["alias"] == nil {
					prov = asMap(p)
				}
			}
			if len(ps) != 1+len(env.BackupRegions) {
				t.Errorf("%s: %d aws providers for backup regions %v", env.Name, len(ps), env.BackupRegions)
			}
		default:
			prov = asMap(ps)
		}
		tags := asMap(asMap(prov["default_tags"])["tags"])
		if tags["platform"] != p.Name || tags["environment"] != env.Name || tags["managed-by"] != "idpgen" {
			t.Errorf("%s: default tags %v", env.Name, tags)
		}
		if !slices.Equal(strs(prov["allowed_account_ids"]), []string{env.Account}) {
			t.Errorf("%s: allowed_account_ids %v", env.Name, prov["allowed_account_ids"])
		}
	}
}

// TestNoWildcardPolicies: no Allow statement grants every action, every
// action on every resource, or anything to every principal.
func TestNoWildcardPolicies(t *testing.T) {
	p := loadExample(t)
	tr := emit(t, p)
	for _, env := range p.EnvironmentList {
		docs := decode(t, tr, env.Name).blocks("data", "aws_iam_policy_document")
		if len(docs) < 10 {
			t.Fatalf("%s: only %d policy documents", env.Name, len(docs))
		}
		for name, doc := range docs {
			for i, st := range doc["statement"].([]any) {
				s := asMap(st)
				if s["effect"] != "Allow" {
					continue
				}
				actions, resources := strs(s["actions"]), []string{"*"} // a statement without resources is a trust or key policy: it applies to its own resource
				if s["resources"] != nil {
					resources = strs(s["resources"])
				}
				where := fmt.Sprintf("%s: %s statement %d (%s)", env.Name, name, i, s["sid"])
				if slices.Contains(actions, "*") || slices.Contains(actions, "*:*") {
					t.Errorf("%s allows action \"*\"", where)
				}
				for _, a := range actions {
					if strings.HasSuffix(a, ":*") && slices.Contains(resources, "*") {
						t.Errorf("%s allows %s on \"*\"", where, a)
					}
				}
				for _, pr := range asList(s["principals"]) {
					if slices.Contains(strs(asMap(pr)["identifiers"]), "*") {
						t.Errorf("%s allows principal \"*\"", where)
					}
				}
			}
		}
	}
}

func asList(v any) []any { l, _ := v.([]any); return l }

// TestIMDSv2 requires IMDSv2 on every launch template and instance.
func TestIMDSv2(t *testing.T) {
	p := loadExample(t)
	tr := emit(t, p)
	for _, env := range p.EnvironmentList {
		d := decode(t, tr, env.Name)
		lts := d.blocks("resource", "aws_launch_template")
		if len(lts) == 0 {
			t.Fatalf("%s: no launch template", env.Name)
		}
		for typ, list := range map[string]map[string]map[string]any{"aws_launch_template": lts, "aws_instance": d.blocks("resource", "aws_instance")} {
			for name, body := range list {
				md := asMap(body["metadata_options"])
				if md["http_tokens"] != "required" || md["http_endpoint"] != "enabled" {
					t.Errorf("%s: %s.%s metadata_options %v", env.Name, typ, name, md)
				}
			}
		}
		// The node group uses the launch template.
		ng := d.blocks("resource", "aws_eks_node_group")["system"]
		if lt := asMap(ng["launch_template"]); lt["id"] != "${aws_launch_template.system.id}" {
			t.Errorf("%s: node group launch template %v", env.Name, lt)
		}
		if ng["capacity_type"] != "ON_DEMAND" {
			t.Errorf("%s: system nodes are %v", env.Name, ng["capacity_type"])
		}
	}
}

// TestOneClusterTaggedSecurityGroup: the nodes' network interfaces carry
// exactly one security group tagged kubernetes.io/cluster/<name>, which the
// AWS Load Balancer Controller requires. EKS tags the cluster security
// group so itself, so it must not be attached next to the node group's.
func TestOneClusterTaggedSecurityGroup(t *testing.T) {
	p := loadExample(t)
	tr := emit(t, p)
	const clusterSG = "${aws_eks_cluster.main.vpc_config[0].cluster_security_group_id}"
	for _, env := range p.EnvironmentList {
		d := decode(t, tr, env.Name)
		tag := "kubernetes.io/cluster/" + awsnames.For(p, env).Cluster()
		sgs := d.blocks("resource", "aws_security_group")
		for name, lt := range d.blocks("resource", "aws_launch_template") {
			tagged := 0
			for _, id := range strs(lt["vpc_security_group_ids"]) {
				if id == clusterSG {
					tagged++
					continue
				}
				sg := strings.TrimSuffix(strings.TrimPrefix(id, "${aws_security_group."), ".id}")
				if asMap(sgs[sg]["tags"])[tag] != nil {
					tagged++
				}
			}
			if tagged != 1 {
				t.Errorf("%s: launch template %s attaches %d security groups tagged %s, want 1: %v", env.Name, name, tagged, tag, lt["vpc_security_group_ids"])
			}
		}
	}
}

func TestNATPerTier(t *testing.T) {
	p := loadExample(t)
	tr := emit(t, p)
	for _, env := range p.EnvironmentList {
		d := decode(t, tr, env.Name)
		want := 1
		if env.Prod() {
			want = env.Network.AvailabilityZones
		}
		if got := len(d.blocks("resource", "aws_nat_gateway")); got != want {
			t.Errorf("%s (%s): %d NAT gateways, want %d", env.Name, env.Tier, got, want)
		}
		// Every private route table has a default route through a NAT.
		routes := d.blocks("resource", "aws_route")
		nat := 0
		for _, r := range routes {
			if r["nat_gateway_id"] != nil && r["destination_cidr_block"] == "0.0.0.0/0" {
				nat++
			}
		}
		if nat != env.Network.AvailabilityZones {
			t.Errorf("%s: %d NAT routes, want one per zone", env.Name, nat)
		}
		eps := d.blocks("resource", "aws_vpc_endpoint")
		if eps["s3"]["vpc_endpoint_type"] != "Gateway" {
			t.Errorf("%s: no S3 gateway endpoint", env.Name)
		}
		for _, svc := range []string{"ecr_api", "ecr_dkr", "sts"} {
			if _, ok := eps[svc]; ok != env.Prod() {
				t.Errorf("%s: interface endpoint %s present=%v, want %v", env.Name, svc, ok, env.Prod())
			}
		}
	}
}

func TestSubnets(t *testing.T) {
	p := loadExample(t)
	tr := emit(t, p)
	n := 0
	for _, env := range p.EnvironmentList {
		d := decode(t, tr, env.Name)
		vpc := netip.MustParsePrefix(d.blocks("resource", "aws_vpc")["main"]["cidr_block"].(string))
		if vpc.String() != env.Network.VPCCIDR {
			t.Errorf("%s: VPC %s, want %s", env.Name, vpc, env.Network.VPCCIDR)
		}
		var seen []netip.Prefix
		zones := map[string]bool{}
		key, value := awsnames.For(p, env).DiscoveryTag()
		for name, s := range d.blocks("resource", "aws_subnet") {
			c := netip.MustParsePrefix(s["cidr_block"].(string))
			if !vpc.Contains(c.Addr()) || c.Bits() < vpc.Bits() {
				t.Errorf("%s: subnet %s %s outside VPC %s", env.Name, name, c, vpc)
			}
			for _, o := range seen {
				if o.Overlaps(c) {
					t.Errorf("%s: subnet %s %s overlaps %s", env.Name, name, c, o)
				}
			}
			seen = append(seen, c)
			zones[s["availability_zone"].(string)] = true
			tags := asMap(s["tags"])
			switch {
			case strings.HasPrefix(name, "private_"):
				if tags[key] != value || tags["kubernetes.io/role/internal-elb"] != "1" {
					t.Errorf("%s: private subnet %s tags %v", env.Name, name, tags)
				}
			case strings.HasPrefix(name, "public_"):
				if tags["kubernetes.io/role/elb"] != "1" {
					t.Errorf("%s: public subnet %s tags %v", env.Name, name, tags)
				}
			}
		}
		if len(zones) != 3 || len(seen) != 9 {
			t.Errorf("%s: %d subnets in %d zones, want 9 in 3", env.Name, len(seen), len(zones))
		}
		if sg := d.blocks("resource", "aws_security_group")["node"]; asMap(sg["tags"])[key] != value {
			t.Errorf("%s: node security group lacks the discovery tag", env.Name)
		}
		n++
	}
	if n != 3 {
		t.Errorf("checked %d environments", n)
	}
}

func TestEKS(t *testing.T) {
	p := loadExample(t)
	tr := emit(t, p)
	for _, env := range p.EnvironmentList {
		d := decode(t, tr, env.Name)
		c := d.blocks("resource", "aws_eks_cluster")["main"]
		vc := asMap(c["vpc_config"])
		if c["version"] != env.Kubernetes.Version || c["name"] != awsnames.For(p, env).Cluster() {
			t.Errorf("%s: cluster %v %v", env.Name, c["name"], c["version"])
		}
		if vc["endpoint_private_access"] != true || vc["endpoint_public_access"] != env.Kubernetes.PublicEndpoint {
			t.Errorf("%s: endpoint access %v", env.Name, vc)
		}
		if env.Kubernetes.PublicEndpoint && !slices.Equal(strs(vc["public_access_cidrs"]), env.Kubernetes.PublicAccessCIDRs) {
			t.Errorf("%s: public_access_cidrs %v", env.Name, vc["public_access_cidrs"])
		}
		if !env.Kubernetes.PublicEndpoint && vc["public_access_cidrs"] != nil {
			t.Errorf("%s: public CIDRs on a private endpoint", env.Name)
		}
		if asMap(c["access_config"])["authentication_mode"] != "API" {
			t.Errorf("%s: authentication mode %v", env.Name, c["access_config"])
		}
		if enc := asMap(c["encryption_config"]); asMap(enc["provider"])["key_arn"] != "${aws_kms_key.eks_secrets.arn}" {
			t.Errorf("%s: encryption %v", env.Name, enc)
		}
		if len(strs(c["enabled_cluster_log_types"])) < 3 {
			t.Errorf("%s: logs %v", env.Name, c["enabled_cluster_log_types"])
		}
		for name, v := range d.blocks("data", "aws_eks_addon_version") {
			if v["kubernetes_version"] != env.Kubernetes.Version {
				t.Errorf("%s: add-on %s looked up for %v", env.Name, name, v["kubernetes_version"])
			}
		}
		for name, k := range d.blocks("resource", "aws_kms_key") {
			if k["enable_key_rotation"] != true {
				t.Errorf("%s: key %s without rotation", env.Name, name)
			}
		}
		for name, r := range d.blocks("resource", "aws_ecr_repository") {
			if r["image_tag_mutability"] != "IMMUTABLE" || asMap(r["encryption_configuration"])["encryption_type"] != "KMS" {
				t.Errorf("%s: ECR %s %v", env.Name, name, r)
			}
		}
		// Teams read only their namespaces.
		for _, team := range p.TeamList {
			a := d.blocks("resource", "aws_eks_access_policy_association")["team_"+awsnames.Ident(team.Name)]
			scope := asMap(a["access_scope"])
			if a["policy_arn"] != "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy" || scope["type"] != "namespace" || !slices.Equal(strs(scope["namespaces"]), team.Namespaces) {
				t.Errorf("%s: team %s access %v", env.Name, team.Name, a)
			}
		}
	}
}

// TestNamesMatchAWSNames: every name of awsnames' catalog is declared, by
// the resource that owns that kind of name.
func TestNamesMatchAWSNames(t *testing.T) {
	p := loadExample(t)
	tr := emit(t, p)
	for _, env := range p.EnvironmentList {
		declared, err := DeclaredNames(ModuleFiles(tr, env.Name))
		if err != nil {
			t.Fatal(err)
		}
		catalog := awsnames.For(p, env).Catalog(p)
		if len(catalog) < 15 {
			t.Fatalf("%s: catalog has only %d names", env.Name, len(catalog))
		}
		for _, c := range catalog {
			if !declared.Has(c.Kind, c.Name) {
				t.Errorf("%s: %s %q is not declared by the Terraform", env.Name, c.Kind, c.Name)
			}
		}
		// And pod identities bind the service accounts awsnames names.
		assoc := decode(t, tr, env.Name).blocks("resource", "aws_eks_pod_identity_association")
		for _, id := range awsnames.For(p, env).PodIdentities(p) {
			if id.EKSAddon != "" {
				continue
			}
			a := assoc[id.ID]
			if a["namespace"] != id.Namespace || a["service_account"] != id.ServiceAccount || a["role_arn"] != "${aws_iam_role."+id.ID+".arn}" {
				t.Errorf("%s: association %s = %v", env.Name, id.ID, a)
			}
		}
	}
}

// TestCrossCheck renders everything (Kubernetes side included) and holds
// each environment's YAML to its Terraform.
func TestCrossCheck(t *testing.T) {
	p := loadExample(t)
	tr := renderAll(t, p)
	for _, env := range p.EnvironmentList {
		if err := CrossCheck(p, tr, env.Name); err != nil {
			t.Errorf("%s: %v", env.Name, err)
		}
	}

	// The check catches what it should: names Kubernetes objects refer to
	// that the environment's Terraform does not declare.
	dev := p.Environments["dev"]
	n := awsnames.For(p, dev)
	for _, tc := range []struct{ yaml, want string }{
		{"role: " + n.RoleARN(n.ServiceRole("ghost")), `declares no iam-role "acme-dev-svc-ghost"`},
		{"role: " + n.RoleARN(n.ServiceRole("checkout")), ""},
		{"role: arn:aws:iam::333333333333:role/" + n.ServiceRole("checkout"), "not the environment's account 111111111111"},
		{"queue: " + n.QueueARN("acme-dev-nope"), `declares no sqs-queue "acme-dev-nope"`},
		{"bucket: arn:aws:s3:::acme-dev-nope/*", `declares no s3-bucket "acme-dev-nope"`},
		{"kmsKeyId: alias/acme-dev-nope", `declares no kms-alias "alias/acme-dev-nope"`},
		// Images: the platform's central registry (its own module declares
		// the repositories), an external registry the policy lists, and
		// nothing else (the environment's own ECR included: the example
		// has one registry).
		{"image: 444444444444.dkr.ecr.eu-west-1.amazonaws.com/acme/ghost:1.0", `registry/terraform declares no ecr-repository "acme/ghost"`},
		{"image: " + n.ECRRepositoryURL("checkout") + ":4.1.2", ""},
		{"image: " + n.ECRRepositoryURL("checkout") + "@sha256:" + strings.Repeat("a", 64), ""},
		{"image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/vendor/agent:2.0", ""},
		{"image: 111111111111.dkr.ecr.eu-west-1.amazonaws.com/acme/checkout:4.1.2", "refers to image 111111111111.dkr.ecr.eu-west-1.amazonaws.com/acme/checkout in the ECR of account 111111111111, region eu-west-1, which is neither the registry the environment pulls from (444444444444.dkr.ecr.eu-west-1.amazonaws.com) nor listed as external"},
		{"image: 444444444444.dkr.ecr.us-east-1.amazonaws.com/acme/checkout:4.1.2", "in the ECR of account 444444444444, region us-east-1"},
		{"settings: {interruptionQueue: " + n.InterruptionQueue() + "}", ""},
		{"x: arn:aws:dynamodb:eu-west-1:111111111111:table/t", `declares no dynamodb-table "t"`},
		{"x: " + n.TableARN(n.ServiceTable("products")) + "/index/by-name", ""},
		{"x: " + n.TableARN(n.ServiceTable("ghost")), `declares no dynamodb-table "acme-dev-ghost"`},
		{"x: " + n.TopicARN(n.ServiceTopic("payment-events")), ""},
		{"x: " + n.TopicARN(n.ServiceTopic("payment-events")) + ":0b5c7d1e-2f3a-4b5c-8d9e-0f1a2b3c4d5e", ""},
		{"x: " + n.TopicARN(n.ServiceTopic("ghost")), `declares no sns-topic "acme-dev-ghost"`},
		{"x: arn:aws:dynamodb:eu-west-1:111111111111:table/" + n.ServiceTable("products"), ""},
		{"settings: {table: " + n.ServiceTable("products") + "}", ""},
		{"x: arn:aws:lambda:eu-west-1:111111111111:function:f", "cannot map to a Terraform resource"},
	} {
		bad := tree.New()
		for _, f := range tr.Files() {
			if err := bad.Add(f.Emitter, f.Path, f.Data); err != nil {
				t.Fatal(err)
			}
		}
		if err := bad.Add("test", "environments/dev/extra.yaml", []byte(tc.yaml+"\n")); err != nil {
			t.Fatal(err)
		}
		err := CrossCheck(p, bad, "dev")
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%q: unexpected %v", tc.yaml, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%q: got %v, want %q", tc.yaml, err, tc.want)
		}
	}
}

func TestVerify(t *testing.T) {
	p := loadExample(t)
	tr := emit(t, p)
	notes, err := New().Verify(p, tr)
	if err != nil {
		t.Fatal(err)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "21 files parsed") {
		t.Errorf("notes: %v", notes)
	}

	// A broken reference in one file is reported with its position.
	broken := tree.New()
	for _, f := range tr.Files() {
		data := f.Data
		if f.Path == "environments/staging/terraform/eks.tf.json" {
			data = bytes.Replace(data, []byte("${aws_kms_key.eks_secrets.arn}"), []byte("${aws_kms_key.eks_secret.arn}"), 1)
		}
		if err := broken.Add(f.Emitter, f.Path, data); err != nil {
			t.Fatal(err)
		}
	}
	_, err = New().Verify(p, broken)
	if err == nil || !strings.Contains(err.Error(), "environments/staging/terraform/eks.tf.json:") ||
		!strings.Contains(err.Error(), "aws_kms_key.eks_secret is not declared") {
		t.Errorf("got %v", err)
	}
}

// TestTerraformReadsOutput has the terraform binary, when installed, read
// every root module. `terraform providers` needs no provider download; the
// S3 backend would need `terraform init` (and so the network), so the copy
// it reads has its backend block removed and nothing else changed.
func TestTerraformReadsOutput(t *testing.T) {
	bin, err := exec.LookPath("terraform")
	if err != nil {
		t.Skip("terraform is not on PATH; the hcl/v2 checks (TestHCL) still ran")
	}
	p := loadExample(t)
	tr := emit(t, p)
	for _, env := range p.EnvironmentList {
		dir := t.TempDir()
		for _, f := range ModuleFiles(tr, env.Name) {
			data := f.Data
			if strings.HasSuffix(f.Name, "/main.tf.json") {
				var m map[string]any
				if err := json.Unmarshal(data, &m); err != nil {
					t.Fatal(err)
				}
				delete(asMap(m["terraform"]), "backend")
				data, _ = json.Marshal(m)
			}
			if err := os.WriteFile(filepath.Join(dir, filepath.Base(f.Name)), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		cmd := exec.Command(bin, "-chdir="+dir, "providers", "-no-color")
		cmd.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE=/dev/null", "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: terraform providers: %v\n%s", env.Name, err, out)
		}
		if !strings.Contains(string(out), "provider[registry.terraform.io/hashicorp/aws] ~> 6.34") {
			t.Errorf("%s: unexpected output:\n%s", env.Name, out)
		}
	}

	// It does reject a module it cannot load (here a resource declared in
	// two files), so the pass above means something. (It does not parse
	// templates: tfcheck does.)
	dir := t.TempDir()
	for _, name := range []string{"a.tf.json", "b.tf.json"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(`{"resource": {"aws_vpc": {"a": {}}}}`), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(bin, "-chdir="+dir, "providers", "-no-color")
	cmd.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE=/dev/null", "CHECKPOINT_DISABLE=1")
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "Duplicate resource") {
		t.Errorf("terraform accepted a duplicate resource (%v):\n%s", err, out)
	}
}
