package terraform_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/idpgen/idpgen/internal/awsnames"
	"github.com/idpgen/idpgen/internal/model"
	"github.com/idpgen/idpgen/internal/render"
	"github.com/idpgen/idpgen/internal/synth"
	"github.com/idpgen/idpgen/internal/tree"
	"github.com/idpgen/idpgen/internal/vaultnames"
)

// Property tests of issue 13 (least privilege in the AWS foundation), run
// over the rendered Terraform JSON of the example platform (a central
// registry, three environments) and of a synthetic one (no central
// registry, four environments, services with queues, buckets, tables and
// topics, Velero on): every property holds for every block of every
// module, whatever the platform declares.

// rendered is one platform's model and Terraform output.
type rendered struct {
	name string
	p    *model.Platform
	tr   *tree.Tree
}

var (
	synthOnce sync.Once
	synthPlat *model.Platform
	synthErr  error
)

// platforms returns the example and the synthetic platform, rendered.
func platforms(t *testing.T) []rendered {
	t.Helper()
	synthOnce.Do(func() {
		dir := filepath.Join("..", "..", "..", ".bench", "hardening")
		defer os.RemoveAll(dir)
		if synthErr = synth.Write(dir, synth.Options{Services: 60, Environments: 4, PerFile: 30, AWS: true}); synthErr != nil {
			return
		}
		synthPlat, synthErr = render.Load(dir)
	})
	if synthErr != nil {
		t.Fatal(synthErr)
	}
	p := loadExample(t)
	return []rendered{{"example", p, emit(t, p)}, {"synthetic", synthPlat, emit(t, synthPlat)}}
}

// modules are the decoded root modules of a platform: each environment's
// and the central registry's, by name.
func modules(t *testing.T, r rendered) map[string]decoded {
	out := map[string]decoded{}
	for _, env := range r.p.EnvironmentList {
		out[env.Name] = decode(t, r.tr, env.Name)
	}
	if _, ok := awsnames.CentralRegistry(r.p); ok {
		out["registry"] = decodeRegistry(t, r.tr)
	}
	return out
}

// docOf returns the name of the policy document a "${data.aws_iam_policy_document.X.json}" reference names.
func docOf(v any) string {
	s, _ := v.(string)
	return strings.TrimSuffix(strings.TrimPrefix(s, "${data.aws_iam_policy_document."), ".json}")
}

// addrOf returns "X" of a "${<typ>.X.<attr>}" reference, or "".
func addrOf(v any, typ string) string {
	s, _ := v.(string)
	if !strings.HasPrefix(s, "${"+typ+".") {
		return ""
	}
	s = strings.TrimPrefix(s, "${"+typ+".")
	return s[:strings.IndexByte(s, '.')]
}

type cond struct{ test, variable string }

// conditions maps each condition of a statement to its values.
func conditions(st map[string]any) map[cond][]string {
	out := map[cond][]string{}
	for _, c := range asList(st["condition"]) {
		c := asMap(c)
		out[cond{c["test"].(string), c["variable"].(string)}] = strs(c["values"])
	}
	return out
}

func statements(doc map[string]any) []map[string]any {
	var out []map[string]any
	for _, s := range asList(doc["statement"]) {
		out = append(out, asMap(s))
	}
	return out
}

func trusts(st map[string]any, typ, id string) bool {
	for _, pr := range asList(st["principals"]) {
		pr := asMap(pr)
		if pr["type"] == typ && slices.Contains(strs(pr["identifiers"]), id) {
			return true
		}
	}
	return false
}

// TestPodIdentityTrust: every role that trusts EKS Pod Identity is bound
// to exactly one service account of this cluster, and its trust policy
// says so: aws:SourceAccount, aws:SourceArn (the cluster's ARN) and the
// namespace and service account EKS tags the session with.
func TestPodIdentityTrust(t *testing.T) {
	for _, r := range platforms(t) {
		for _, env := range r.p.EnvironmentList {
			n := awsnames.For(r.p, env)
			d := decode(t, r.tr, env.Name)
			docs := d.blocks("data", "aws_iam_policy_document")
			roles := d.blocks("resource", "aws_iam_role")
			// role -> namespace/service account it is bound to.
			bound := map[string][]string{}
			for _, a := range d.blocks("resource", "aws_eks_pod_identity_association") {
				role := addrOf(a["role_arn"], "aws_iam_role")
				bound[role] = append(bound[role], a["namespace"].(string)+"/"+a["service_account"].(string))
			}
			for _, a := range d.blocks("resource", "aws_eks_addon") {
				if pia := asMap(a["pod_identity_association"]); pia != nil {
					role := addrOf(pia["role_arn"], "aws_iam_role")
					bound[role] = append(bound[role], "kube-system/"+pia["service_account"].(string)) // EKS installs its add-ons in kube-system
				}
			}
			podRoles := 0
			for name, role := range roles {
				for _, st := range statements(docs[docOf(role["assume_role_policy"])]) {
					if !trusts(st, "Service", "pods.eks.amazonaws.com") {
						continue
					}
					podRoles++
					where := fmt.Sprintf("%s %s: role %s", r.name, env.Name, name)
					c := conditions(st)
					if !slices.Equal(c[cond{"StringEquals", "aws:SourceAccount"}], []string{env.Account}) {
						t.Errorf("%s: aws:SourceAccount %v", where, c[cond{"StringEquals", "aws:SourceAccount"}])
					}
					if !slices.Equal(c[cond{"ArnEquals", "aws:SourceArn"}], []string{n.ClusterARN()}) {
						t.Errorf("%s: aws:SourceArn %v, want the cluster %s", where, c[cond{"ArnEquals", "aws:SourceArn"}], n.ClusterARN())
					}
					ns, sa := c[cond{"StringEquals", "aws:RequestTag/kubernetes-namespace"}], c[cond{"StringEquals", "aws:RequestTag/kubernetes-service-account"}]
					if len(ns) != 1 || len(sa) != 1 {
						t.Errorf("%s: namespace %v, service account %v: want exactly one of each", where, ns, sa)
						continue
					}
					if got := bound[name]; !slices.Equal(got, []string{ns[0] + "/" + sa[0]}) {
						t.Errorf("%s: trusts %s/%s, bound to %v", where, ns[0], sa[0], got)
					}
					if !slices.Equal(strs(st["actions"]), []string{"sts:AssumeRole", "sts:TagSession"}) {
						t.Errorf("%s: actions %v", where, st["actions"])
					}
				}
			}
			if podRoles != len(n.PodIdentities(r.p)) || podRoles < 4 {
				t.Errorf("%s %s: %d roles trust Pod Identity, %d identities", r.name, env.Name, podRoles, len(n.PodIdentities(r.p)))
			}
		}
	}
}

// TestAccountPrincipalsAreNarrowed: no trust policy lets the whole account
// (anyone allowed sts:AssumeRole in it) assume a role; a team's role only
// the roles of its SSO permission set. And CI has no access entry: the
// only cluster admins are the platform admins.
func TestAccountPrincipalsAreNarrowed(t *testing.T) {
	for _, r := range platforms(t) {
		for _, env := range r.p.EnvironmentList {
			n := awsnames.For(r.p, env)
			d := decode(t, r.tr, env.Name)
			docs := d.blocks("data", "aws_iam_policy_document")
			roles := d.blocks("resource", "aws_iam_role")
			for name, role := range roles {
				for _, st := range statements(docs[docOf(role["assume_role_policy"])]) {
					if !trusts(st, "AWS", n.AccountRootARN()) {
						continue
					}
					arns := conditions(st)[cond{"ArnLike", "aws:PrincipalArn"}]
					team := strings.TrimPrefix(name, "team_")
					want := ""
					for _, tm := range r.p.TeamList {
						if awsnames.Ident(tm.Name) == team {
							want = n.SSOPermissionSetRoleARN(tm.PermissionSet)
						}
					}
					if want == "" || !slices.Equal(arns, []string{want}) {
						t.Errorf("%s %s: role %s trusts the account with aws:PrincipalArn %v, want %q", r.name, env.Name, name, arns, want)
					}
				}
			}
			for id, a := range d.blocks("resource", "aws_eks_access_policy_association") {
				if strings.HasSuffix(asMap(a)["policy_arn"].(string), "/AmazonEKSClusterAdminPolicy") && id != "admin" {
					t.Errorf("%s %s: %s is cluster admin", r.name, env.Name, id)
				}
			}
			if _, ok := d.blocks("resource", "aws_eks_access_entry")["ci"]; ok {
				t.Errorf("%s %s: CI has cluster access", r.name, env.Name)
			}
		}
	}
}

// readOnly matches the actions that change nothing.
var readOnly = regexp.MustCompile(`^[a-z0-9-]+:(Describe|Get|List|BatchGet|Query|Scan)`)

// TestNoUnscopedWildcards: across every policy every module renders, an
// Allow of a mutating action on resource "*" carries a condition that
// scopes it, and no EC2 or other ARN leaves its account open (":*:").
// Key policies are the exception: in a key policy, "*" is the key itself.
func TestNoUnscopedWildcards(t *testing.T) {
	anyAccount := regexp.MustCompile(`^arn:aws:[a-z0-9-]+:[a-z0-9-]*:\*:`)
	for _, r := range platforms(t) {
		for mod, d := range modules(t, r) {
			keyPolicies := map[string]bool{}
			for _, k := range d.blocks("resource", "aws_kms_key") {
				keyPolicies[docOf(k["policy"])] = true
			}
			if len(keyPolicies) == 0 {
				t.Errorf("%s %s: no key policy found", r.name, mod)
			}
			checked := 0
			for name, doc := range d.blocks("data", "aws_iam_policy_document") {
				for _, st := range statements(doc) {
					where := fmt.Sprintf("%s %s: %s %s", r.name, mod, name, st["sid"])
					var resources []string
					for _, res := range asList(st["resources"]) {
						s := res.(string)
						resources = append(resources, s)
						if anyAccount.MatchString(s) {
							t.Errorf("%s: resource %s is in any account", where, s)
						}
					}
					if st["effect"] != "Allow" || keyPolicies[name] || !slices.Contains(resources, "*") {
						continue
					}
					checked++
					for _, a := range strs(st["actions"]) {
						if !readOnly.MatchString(a) && len(asList(st["condition"])) == 0 {
							t.Errorf("%s: %s on \"*\" without a condition", where, a)
						}
					}
				}
			}
			if mod != "registry" && checked == 0 {
				t.Errorf("%s %s: no statement on \"*\" to check", r.name, mod)
			}
		}
	}
}

// dataStores are the resource types that hold data, each with what makes
// it encrypted at rest with a customer managed key.
var dataStores = map[string]func(body map[string]any, d decoded, name string) bool{
	"aws_s3_bucket": func(_ map[string]any, d decoded, name string) bool {
		rule := asMap(asList(d.blocks("resource", "aws_s3_bucket_server_side_encryption_configuration")[name]["rule"])[0])
		def := asMap(rule["apply_server_side_encryption_by_default"])
		return def["sse_algorithm"] == "aws:kms" && addrOf(def["kms_master_key_id"], "aws_kms_key") != ""
	},
	"aws_sqs_queue": func(b map[string]any, _ decoded, _ string) bool {
		return addrOf(b["kms_master_key_id"], "aws_kms_key") != "" && b["sqs_managed_sse_enabled"] == nil
	},
	"aws_cloudwatch_log_group": func(b map[string]any, _ decoded, _ string) bool {
		return addrOf(b["kms_key_id"], "aws_kms_key") == "logs"
	},
	"aws_ecr_repository": func(b map[string]any, _ decoded, _ string) bool {
		e := asMap(b["encryption_configuration"])
		return e["encryption_type"] == "KMS" && addrOf(e["kms_key"], "aws_kms_key") != ""
	},
	"aws_dynamodb_table": func(b map[string]any, _ decoded, _ string) bool {
		e := asMap(b["server_side_encryption"])
		return e["enabled"] == true && addrOf(e["kms_key_arn"], "aws_kms_key") != ""
	},
	"aws_sns_topic": func(b map[string]any, _ decoded, _ string) bool {
		return addrOf(b["kms_master_key_id"], "aws_kms_key") != ""
	},
	"aws_eks_cluster": func(b map[string]any, _ decoded, _ string) bool {
		return addrOf(asMap(asMap(b["encryption_config"])["provider"])["key_arn"], "aws_kms_key") == "eks_secrets"
	},
}

// noData are the resource types that hold no data of their own (network,
// identity, configuration of another resource, the keys themselves).
var noData = regexp.MustCompile(`^aws_(vpc|default_security_group|subnet|internet_gateway|route_table|route|route_table_association|eip|nat_gateway|vpc_endpoint|security_group|vpc_security_group_(ingress|egress)_rule|flow_log|iam_role|iam_role_policy|iam_openid_connect_provider|iam_role_policy_attachment|eks_(addon|node_group|access_entry|access_policy_association|pod_identity_association)|launch_template|kms_key|kms_alias|cloudwatch_event_rule|cloudwatch_event_target|sqs_queue_policy|s3_bucket_.+|ecr_(lifecycle_policy|repository_policy|registry_scanning_configuration))$`)

// TestEncryptionAtRest: every resource type the platform renders either
// holds no data or is encrypted with a customer managed key; the one
// exception, the S3 access-log bucket (server access logging delivers only
// to SSE-S3 buckets), says so in its "//" comment. Keys rotate; in prod
// Terraform cannot destroy them, nor the cluster (deletion protection).
func TestEncryptionAtRest(t *testing.T) {
	for _, r := range platforms(t) {
		seen := map[string]bool{}
		for mod, d := range modules(t, r) {
			prod := mod == "registry"
			for _, env := range r.p.EnvironmentList {
				if env.Name == mod {
					prod = env.Prod()
				}
			}
			for _, f := range d {
				for typ, blocks := range asMap(f["resource"]) {
					for name, body := range asMap(blocks) {
						body := asMap(body)
						where := fmt.Sprintf("%s %s: %s.%s", r.name, mod, typ, name)
						check, stores := dataStores[typ]
						switch {
						case typ == "aws_s3_bucket" && name == "access_logs":
							if !strings.Contains(fmt.Sprint(body["//"]), "SSE-S3") {
								t.Errorf("%s: the access-log bucket's exception is not written down", where)
							}
						case stores:
							seen[typ] = true
							if !check(body, d, name) {
								t.Errorf("%s is not encrypted with a customer managed key: %v", where, body)
							}
						case !noData.MatchString(typ):
							t.Errorf("%s: resource type %s is neither a known data store nor known to hold no data: decide how it is encrypted and add it to this test", where, typ)
						}
						switch typ {
						case "aws_kms_key":
							lc := asMap(body["lifecycle"])
							if body["enable_key_rotation"] != true || (lc["prevent_destroy"] == true) != prod {
								t.Errorf("%s: rotation %v, prevent_destroy %v (prod %v)", where, body["enable_key_rotation"], lc["prevent_destroy"], prod)
							}
						case "aws_eks_cluster":
							if body["deletion_protection"] != prod {
								t.Errorf("%s: deletion_protection %v (prod %v)", where, body["deletion_protection"], prod)
							}
						}
					}
				}
			}
		}
		for typ := range dataStores {
			if !seen[typ] {
				t.Errorf("%s renders no %s: the property is not exercised", r.name, typ)
			}
		}
	}
}

// TestTLSOnlyAndRecoverable: every bucket and queue has a resource policy
// that denies requests over plain HTTP; every bucket but the access-log
// bucket is versioned and logs its requests there; every service queue has
// a dead-letter queue that only it may redrive to.
func TestTLSOnlyAndRecoverable(t *testing.T) {
	for _, r := range platforms(t) {
		for _, env := range r.p.EnvironmentList {
			n := awsnames.For(r.p, env)
			d := decode(t, r.tr, env.Name)
			docs := d.blocks("data", "aws_iam_policy_document")
			tlsOnly := func(doc string) bool {
				for _, st := range statements(docs[doc]) {
					if st["effect"] == "Deny" && slices.Equal(conditions(st)[cond{"Bool", "aws:SecureTransport"}], []string{"false"}) && trusts(st, "AWS", "*") {
						return true
					}
				}
				return false
			}
			where := func(typ, name string) string { return fmt.Sprintf("%s %s: %s.%s", r.name, env.Name, typ, name) }
			policies := d.blocks("resource", "aws_s3_bucket_policy")
			logging := d.blocks("resource", "aws_s3_bucket_logging")
			for name := range d.blocks("resource", "aws_s3_bucket") {
				if !tlsOnly(docOf(policies[name]["policy"])) {
					t.Errorf("%s accepts plain HTTP", where("aws_s3_bucket", name))
				}
				if name == "access_logs" {
					continue
				}
				if d.blocks("resource", "aws_s3_bucket_versioning")[name] == nil {
					t.Errorf("%s is not versioned", where("aws_s3_bucket", name))
				}
				if l := logging[name]; l["target_bucket"] != "${aws_s3_bucket.access_logs.id}" {
					t.Errorf("%s does not log to the access-log bucket: %v", where("aws_s3_bucket", name), l)
				}
			}
			qPolicies := map[string]string{}
			for _, qp := range d.blocks("resource", "aws_sqs_queue_policy") {
				qPolicies[addrOf(qp["queue_url"], "aws_sqs_queue")] = docOf(qp["policy"])
			}
			queues := d.blocks("resource", "aws_sqs_queue")
			for name, q := range queues {
				if !tlsOnly(qPolicies[name]) {
					t.Errorf("%s accepts plain HTTP", where("aws_sqs_queue", name))
				}
				if name == "karpenter_interruption" || strings.HasSuffix(name, "_dlq") {
					continue
				}
				dlq := queues[name+"_dlq"]
				redrive, allow := fmt.Sprint(q["redrive_policy"]), fmt.Sprint(dlq["redrive_allow_policy"])
				if dlq == nil || !strings.Contains(redrive, n.QueueARN(dlq["name"].(string))) || !strings.Contains(allow, n.QueueARN(q["name"].(string))) {
					t.Errorf("%s: dead-letter queue %v, redrive %s, allowed %s", where("aws_sqs_queue", name), dlq["name"], redrive, allow)
				}
			}
			if len(queues) == 0 {
				t.Errorf("%s %s: no queue to check", r.name, env.Name)
			}
		}
	}
}

// TestScopedAddonPolicies: what the issue found too broad is scoped.
// Velero deletes and restores only its own snapshots; the load balancer
// controller changes security groups only in the environment's VPC and
// only those tagged for this cluster; no node role carries the CNI policy.
func TestScopedAddonPolicies(t *testing.T) {
	p := loadExample(t)
	tr := emit(t, p)
	for _, env := range p.EnvironmentList {
		n := awsnames.For(p, env)
		d := decode(t, tr, env.Name)
		docs := d.blocks("data", "aws_iam_policy_document")
		for _, st := range statements(docs["velero"]) {
			for _, a := range strs(st["actions"]) {
				if (a == "ec2:DeleteSnapshot" || a == "ec2:CreateTags") && len(asList(st["condition"])) == 0 {
					t.Errorf("%s: velero %s %s without a tag condition", env.Name, st["sid"], a)
				}
			}
		}
		for _, st := range statements(docs["aws_load_balancer_controller"]) {
			c := conditions(st)
			for _, a := range strs(st["actions"]) {
				switch a {
				case "ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", "ec2:DeleteSecurityGroup":
					if !slices.Equal(c[cond{"ArnEquals", "ec2:Vpc"}], []string{"${aws_vpc.main.arn}"}) {
						t.Errorf("%s: LBC %s %s not limited to the VPC", env.Name, st["sid"], a)
					}
					owned := c[cond{"StringEquals", "aws:ResourceTag/kubernetes.io/cluster/" + n.Cluster()}]
					lbc := c[cond{"StringEquals", "aws:ResourceTag/elbv2.k8s.aws/cluster"}]
					if !slices.Equal(owned, []string{"owned"}) && !slices.Equal(lbc, []string{n.Cluster()}) {
						t.Errorf("%s: LBC %s %s on groups not tagged for the cluster", env.Name, st["sid"], a)
					}
				case "ec2:CreateSecurityGroup":
					if res := strs(st["resources"]); slices.ContainsFunc(res, func(s string) bool { return strings.Contains(s, ":vpc/") }) && !slices.Equal(res, []string{"${aws_vpc.main.arn}"}) {
						t.Errorf("%s: LBC may create security groups in %v", env.Name, res)
					}
				}
			}
		}
		for name := range d.blocks("resource", "aws_iam_role_policy_attachment") {
			if strings.HasSuffix(name, "AmazonEKS_CNI_Policy") && name != "vpc_cni_AmazonEKS_CNI_Policy" {
				t.Errorf("%s: %s", env.Name, name)
			}
		}
		if a := d.blocks("resource", "aws_eks_addon")["vpc_cni"]; asMap(a["pod_identity_association"])["service_account"] != awsnames.CNIServiceAccount {
			t.Errorf("%s: vpc-cni add-on %v", env.Name, a)
		}
	}
}

// TestHardeningKnobs: each setting of the issue changes the output, and
// its tier default is what the schema documents.
func TestHardeningKnobs(t *testing.T) {
	p := loadExample(t)
	attached := func(p *model.Platform, env string) bool {
		_, ok := decode(t, emit(t, p), env).blocks("resource", "aws_iam_role_policy_attachment")["system_node_AmazonSSMManagedInstanceCore"]
		return ok
	}
	lock := func(p *model.Platform, env string) map[string]any {
		return decode(t, emit(t, p), env).blocks("resource", "aws_s3_bucket_object_lock_configuration")["backups"]
	}
	for _, env := range p.EnvironmentList {
		k, nw := env.Kubernetes, env.Network
		// Tier defaults.
		if k.NodeSSMAccess == env.Prod() || attached(p, env.Name) != k.NodeSSMAccess {
			t.Errorf("%s: nodeSSMAccess %v", env.Name, k.NodeSSMAccess)
		}
		if (env.Backup.ObjectLockDays > 0) != env.Prod() || (lock(p, env.Name) != nil) != env.Prod() {
			t.Errorf("%s: objectLockDays %d", env.Name, env.Backup.ObjectLockDays)
		}
		if slices.Contains(nw.InterfaceEndpoints, "eks-auth") != env.Prod() {
			t.Errorf("%s: interface endpoints %v", env.Name, nw.InterfaceEndpoints)
		}
		d := decode(t, emit(t, p), env.Name)
		for _, svc := range nw.InterfaceEndpoints {
			e := d.blocks("resource", "aws_vpc_endpoint")[awsnames.Ident(svc)]
			if e["service_name"] != "com.amazonaws."+env.Region+"."+svc || e["vpc_endpoint_type"] != "Interface" {
				t.Errorf("%s: endpoint %s: %v", env.Name, svc, e)
			}
		}
		if len(nw.InterfaceEndpoints) > 0 && !strings.Contains(fmt.Sprint(d.blocks("resource", "aws_security_group")["vpc_endpoints"]["//"]), "a month") {
			t.Errorf("%s: the endpoints' cost is not written down", env.Name)
		}
		nat := d.blocks("resource", "aws_nat_gateway")
		if single := nw.NATGateways == "single"; single != strings.Contains(fmt.Sprint(nat["nat_a"]["//"]), "zone fails") {
			t.Errorf("%s: NAT gateways %s, comment %q", env.Name, nw.NATGateways, nat["nat_a"]["//"])
		}

		// Flipped, each changes the output.
		env.Kubernetes.NodeSSMAccess = !k.NodeSSMAccess
		if attached(p, env.Name) != env.Kubernetes.NodeSSMAccess {
			t.Errorf("%s: flipping nodeSSMAccess changed nothing", env.Name)
		}
		env.Kubernetes.NodeSSMAccess = k.NodeSSMAccess
		days := env.Backup.ObjectLockDays
		env.Backup.ObjectLockDays = 45
		if l := lock(p, env.Name); asMap(asMap(l["rule"])["default_retention"])["days"] != float64(45) || asMap(asMap(l["rule"])["default_retention"])["mode"] != "GOVERNANCE" {
			t.Errorf("%s: objectLockDays 45 rendered %v", env.Name, l)
		}
		env.Backup.ObjectLockDays = days
	}
	team := p.TeamList[0]
	set := team.PermissionSet
	team.PermissionSet = "PlatformReaders"
	d := decode(t, emit(t, p), p.EnvironmentList[0].Name)
	doc := d.blocks("data", "aws_iam_policy_document")["team_"+awsnames.Ident(team.Name)+"_trust"]
	if got := fmt.Sprint(statements(doc)[0]["condition"]); !strings.Contains(got, "AWSReservedSSO_PlatformReaders_????????????????") {
		t.Errorf("permissionSet did not reach the trust policy: %s", got)
	}
	team.PermissionSet = set
}

// TestRegistryScanning: wherever repositories are created, the registry
// scans them (enhanced and continuous where prod pulls from, basic on push
// elsewhere), and no repository keeps the per-repository scan_on_push AWS
// replaced with registry-level scanning.
func TestRegistryScanning(t *testing.T) {
	for _, r := range platforms(t) {
		checked := 0
		for mod, d := range modules(t, r) {
			repos := d.blocks("resource", "aws_ecr_repository")
			if len(repos) == 0 {
				continue
			}
			checked++
			enhanced := mod == "registry"
			for _, env := range r.p.EnvironmentList {
				if env.Name == mod {
					enhanced = env.Prod()
				}
			}
			want := map[bool][2]string{true: {"ENHANCED", "CONTINUOUS_SCAN"}, false: {"BASIC", "SCAN_ON_PUSH"}}[enhanced]
			sc := d.blocks("resource", "aws_ecr_registry_scanning_configuration")["main"]
			rule := asMap(asList(sc["rule"])[0])
			filter := asMap(asList(rule["repository_filter"])[0])
			if sc["scan_type"] != want[0] || rule["scan_frequency"] != want[1] || filter["filter"] != "*" || filter["filter_type"] != "WILDCARD" {
				t.Errorf("%s %s: scanning %v", r.name, mod, sc)
			}
			for name, repo := range repos {
				if repo["image_scanning_configuration"] != nil {
					t.Errorf("%s %s: repository %s scans on its own", r.name, mod, name)
				}
			}
		}
		if checked == 0 {
			t.Errorf("%s: no module creates repositories", r.name)
		}
	}
}

// TestVaultSnapshotsRole: the Vault snapshot CronJob's role may only put
// objects below its environment's prefix of the backup bucket and encrypt
// with the backup key, is bound to exactly the CronJob's service account,
// and the prefix expires after the snapshots' retention; where snapshots
// are not taken there is no such role.
func TestVaultSnapshotsRole(t *testing.T) {
	checked := 0
	for _, r := range platforms(t) {
		for _, env := range r.p.EnvironmentList {
			n := awsnames.For(r.p, env)
			d := decode(t, r.tr, env.Name)
			where := r.name + " " + env.Name
			role, hasRole := d.blocks("resource", "aws_iam_role")[awsnames.VaultSnapshotsID]
			plan, on := r.p.VaultSnapshotsIn(env)
			if hasRole != on {
				t.Errorf("%s: snapshot role %v, snapshots on %v", where, hasRole, on)
				continue
			}
			if !on {
				continue
			}
			checked++
			if role["name"] != n.VaultSnapshotsRole() {
				t.Errorf("%s: role name %v", where, role["name"])
			}
			prefix := vaultnames.SnapshotPrefix(env.Name)
			want := [][2][]string{
				{{"s3:PutObject"}, {n.BucketARN(n.BackupBucket()) + "/" + prefix + "*"}},
				{{"kms:GenerateDataKey", "kms:Encrypt"}, {"${aws_kms_key.backups.arn}"}},
			}
			sts := statements(d.blocks("data", "aws_iam_policy_document")[awsnames.VaultSnapshotsID])
			if len(sts) != len(want) {
				t.Fatalf("%s: %d statements: %v", where, len(sts), sts)
			}
			for i, st := range sts {
				if !slices.Equal(strs(st["actions"]), want[i][0]) || !slices.Equal(strs(st["resources"]), want[i][1]) || st["effect"] != "Allow" || st["condition"] != nil {
					t.Errorf("%s: statement %d %v, want %v", where, i, st, want[i])
				}
			}
			a := d.blocks("resource", "aws_eks_pod_identity_association")[awsnames.VaultSnapshotsID]
			if a["namespace"] != r.p.Addons.Vault.Namespace || a["service_account"] != vaultnames.Snapshots || addrOf(a["role_arn"], "aws_iam_role") != awsnames.VaultSnapshotsID {
				t.Errorf("%s: association %v", where, a)
			}
			var expiry []map[string]any
			for _, rule := range asList(d.blocks("resource", "aws_s3_bucket_lifecycle_configuration")["backups"]["rule"]) {
				rule := asMap(rule)
				if asMap(rule["filter"])["prefix"] == prefix {
					expiry = append(expiry, rule)
				}
			}
			if len(expiry) != 1 || asMap(expiry[0]["expiration"])["days"] != float64(plan.RetentionDays) || expiry[0]["status"] != "Enabled" {
				t.Errorf("%s: lifecycle rules for %s: %v, want expiry after %d days", where, prefix, expiry, plan.RetentionDays)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no environment takes Vault snapshots: the test proves nothing")
	}
	// The retention is the lifecycle rule's.
	p := loadExample(t)
	p.Addons.Vault.Snapshots.Overrides = map[string]model.VaultSnapshotOverride{"prod": {RetentionDays: 90}}
	d := decode(t, emit(t, p), "prod")
	found := false
	for _, rule := range asList(d.blocks("resource", "aws_s3_bucket_lifecycle_configuration")["backups"]["rule"]) {
		if rule := asMap(rule); rule["id"] == "expire-vault-snapshots" {
			found = asMap(rule["expiration"])["days"] == float64(90)
		}
	}
	if !found {
		t.Error("retentionDays 90 is not the lifecycle rule's expiration")
	}
}
