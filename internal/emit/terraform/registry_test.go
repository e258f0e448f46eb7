package terraform_test

import (
	"bytes"
	"encoding/json"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/idpgen/idpgen/internal/awsnames"
	. "github.com/idpgen/idpgen/internal/emit/terraform"
	"github.com/idpgen/idpgen/internal/tfcheck"
	"github.com/idpgen/idpgen/internal/tree"
)

// decodeRegistry is the central registry's root module as plain JSON.
func decodeRegistry(t *testing.T, tr *tree.Tree) decoded {
	t.Helper()
	out := decoded{}
	for _, f := range RegistryModuleFiles(tr) {
		var m map[string]any
		if err := json.Unmarshal(f.Data, &m); err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		out[strings.TrimSuffix(filepath.Base(f.Name), ".tf.json")] = m
	}
	return out
}

// TestCentralRegistry: with aws.registry (the example), the repositories
// are created once, in the registry's own root module, and only the node
// roles of the platform's environments may pull, and only pull.
func TestCentralRegistry(t *testing.T) {
	p := loadExample(t)
	reg := p.AWS.Registry
	if reg == nil {
		t.Fatal("the example has no central registry")
	}
	tr := emit(t, p)

	// The module parses and resolves, with hcl/v2.
	if diags := tfcheck.Check(RegistryModuleFiles(tr)); len(diags) > 0 {
		t.Fatalf("registry module:\n%s", tfcheck.Error(diags))
	}
	d := decodeRegistry(t, tr)
	main := d["main"]
	prov := asMap(asMap(main["provider"])["aws"])
	if prov["region"] != reg.Region || !slices.Equal(strs(prov["allowed_account_ids"]), []string{reg.Account}) {
		t.Errorf("provider %v", prov)
	}
	s3 := asMap(asMap(asMap(main["terraform"])["backend"])["s3"])
	if s3["key"] != awsnames.RegistryStateKey(p) || s3["bucket"] != p.AWS.StateBucket || s3["use_lockfile"] != true {
		t.Errorf("backend %v", s3)
	}

	// Created once: a repository per service here, none in any environment.
	repos := d.blocks("resource", "aws_ecr_repository")
	var names []string
	for id, r := range repos {
		names = append(names, r["name"].(string))
		if r["image_tag_mutability"] != "IMMUTABLE" || asMap(r["encryption_configuration"])["kms_key"] != "${aws_kms_key.ecr.arn}" {
			t.Errorf("repository %s: %v", id, r)
		}
		if l := d.blocks("resource", "aws_ecr_lifecycle_policy")[id]; l["repository"] != "${aws_ecr_repository."+id+".name}" || !strings.Contains(l["policy"].(string), `"countNumber":200`) {
			t.Errorf("lifecycle of %s: %v", id, l)
		}
		if pol := d.blocks("resource", "aws_ecr_repository_policy")[id]; pol["repository"] != "${aws_ecr_repository."+id+".name}" || pol["policy"] != "${data.aws_iam_policy_document.pull.json}" {
			t.Errorf("repository policy of %s: %v", id, pol)
		}
	}
	slices.Sort(names)
	if want := awsnames.ECRRepositories(p, ""); !slices.Equal(names, want) || len(want) != len(p.Services) {
		t.Errorf("repositories %v, want one per service %v", names, want)
	}
	for _, env := range p.EnvironmentList {
		if r := decode(t, tr, env.Name).blocks("resource", "aws_ecr_repository"); len(r) > 0 {
			t.Errorf("%s creates repositories too: %v", env.Name, slices.Collect(maps.Keys(r)))
		}
	}

	// The policy: exactly the environments' accounts, narrowed to their
	// node roles and the organisation; pull actions only.
	var accounts, nodeRoles []string
	for _, env := range p.EnvironmentList {
		n := awsnames.For(p, env)
		accounts = append(accounts, "arn:aws:iam::"+env.Account+":root")
		nodeRoles = append(nodeRoles, n.RoleARN(n.SystemNodeRole()))
		if p.Addons.Karpenter.In(env.Name) {
			nodeRoles = append(nodeRoles, n.RoleARN(n.KarpenterNodeRole()))
		}
	}
	slices.Sort(accounts)
	slices.Sort(nodeRoles)
	doc := d.blocks("data", "aws_iam_policy_document")["pull"]
	stmts := asList(doc["statement"])
	if len(stmts) != 1 {
		t.Fatalf("pull policy has %d statements", len(stmts))
	}
	st := asMap(stmts[0])
	if st["effect"] != "Allow" || st["resources"] != nil {
		t.Errorf("statement %v", st)
	}
	if got := strs(st["actions"]); !slices.Equal(got, []string{"ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"}) {
		t.Errorf("actions %v: only pulls are allowed", got)
	}
	pr := asList(st["principals"])
	if len(pr) != 1 || asMap(pr[0])["type"] != "AWS" || !slices.Equal(strs(asMap(pr[0])["identifiers"]), accounts) {
		t.Errorf("principals %v, want exactly %v", pr, accounts)
	}
	conds := map[string]map[string]any{}
	for _, c := range asList(st["condition"]) {
		conds[asMap(c)["variable"].(string)] = asMap(c)
	}
	if c := conds["aws:PrincipalArn"]; c["test"] != "ArnEquals" || !slices.Equal(strs(c["values"]), nodeRoles) {
		t.Errorf("principal condition %v, want exactly the node roles %v", c, nodeRoles)
	}
	if c := conds["aws:PrincipalOrgID"]; c["test"] != "StringEquals" || !slices.Equal(strs(c["values"]), []string{p.AWS.OrganizationID}) {
		t.Errorf("organisation condition %v", c)
	}
	if len(conds) != 2 {
		t.Errorf("conditions %v", conds)
	}

	// The node roles named there exist in each environment and may get an
	// authorization token and pull (the managed pull-only policy; the
	// repository policy above is what limits cross-account pulls).
	for _, env := range p.EnvironmentList {
		n := awsnames.For(p, env)
		d := decode(t, tr, env.Name)
		roles := d.blocks("resource", "aws_iam_role")
		attached := d.blocks("resource", "aws_iam_role_policy_attachment")
		for _, id := range []string{"system_node", "karpenter_node"} {
			if roles[id] == nil {
				t.Errorf("%s: no %s role", env.Name, id)
				continue
			}
			if !slices.Contains(n.NodeRoles(p), roles[id]["name"].(string)) {
				t.Errorf("%s: role %v is not a node role of awsnames", env.Name, roles[id]["name"])
			}
			a := attached[id+"_AmazonEC2ContainerRegistryPullOnly"]
			if a["policy_arn"] != "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly" || a["role"] != "${aws_iam_role."+id+".name}" {
				t.Errorf("%s: %s cannot pull: %v", env.Name, id, a)
			}
		}
		if outs := asMap(d["outputs"]["output"]); outs["ecr_repository_urls"] != nil {
			t.Errorf("%s: outputs repositories it does not create", env.Name)
		}
	}
	if urls := asMap(asMap(asMap(d["outputs"]["output"])["repository_urls"])["value"]); len(urls) != len(p.Services) {
		t.Errorf("repository_urls %v", urls)
	}

	// Verify checks the registry module as it checks the environments'.
	broken := tree.New()
	for _, f := range tr.Files() {
		data := f.Data
		if f.Path == RegistryDir+"/ecr.tf.json" {
			data = bytes.Replace(data, []byte("${data.aws_iam_policy_document.pull.json}"), []byte("${data.aws_iam_policy_document.pul.json}"), 1)
		}
		if err := broken.Add(f.Emitter, f.Path, data); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := New().Verify(p, broken); err == nil || !strings.Contains(err.Error(), RegistryDir+"/ecr.tf.json:") {
		t.Errorf("a broken registry module passed Verify: %v", err)
	}
}

// TestRegistryWithoutOrganization: without an organisation id the policy
// keeps only the node-role condition.
func TestRegistryWithoutOrganization(t *testing.T) {
	p := loadExample(t)
	p.AWS.OrganizationID = ""
	doc := decodeRegistry(t, emit(t, p)).blocks("data", "aws_iam_policy_document")["pull"]
	conds := asList(asMap(asList(doc["statement"])[0])["condition"])
	if len(conds) != 1 || asMap(conds[0])["variable"] != "aws:PrincipalArn" {
		t.Errorf("conditions %v", conds)
	}
}

// TestPerEnvironmentRegistry: without aws.registry (the default), every
// environment creates the repositories of the services it runs, there is
// no registry module, and an image must be in the environment's own ECR
// (or an external registry the policy lists).
func TestPerEnvironmentRegistry(t *testing.T) {
	p := loadExample(t)
	p.AWS.Registry = nil
	for _, svc := range p.ServiceList {
		svc.Image.Repository = "ghcr.io/acme/" + svc.Name
	}
	tr := renderAll(t, p)
	if files := RegistryModuleFiles(tr); len(files) > 0 {
		t.Errorf("registry module without aws.registry: %d files", len(files))
	}
	for _, env := range p.EnvironmentList {
		d := decode(t, tr, env.Name)
		var names []string
		for _, r := range d.blocks("resource", "aws_ecr_repository") {
			names = append(names, r["name"].(string))
		}
		slices.Sort(names)
		if want := awsnames.ECRRepositories(p, env.Name); len(want) == 0 || !slices.Equal(names, want) {
			t.Errorf("%s: repositories %v, want %v", env.Name, names, want)
		}
		if len(d.blocks("resource", "aws_ecr_repository_policy")) > 0 {
			t.Errorf("%s: a per-environment repository is shared", env.Name)
		}
		if err := CrossCheck(p, tr, env.Name); err != nil {
			t.Errorf("%s: %v", env.Name, err)
		}
	}

	dev := p.Environments["dev"]
	n := awsnames.For(p, dev)
	for _, tc := range []struct{ yaml, want string }{
		{"image: " + n.ECRRepositoryURL("checkout") + ":4.1.2", ""},
		{"image: 111111111111.dkr.ecr.eu-west-1.amazonaws.com/acme/ghost:1.0", `environments/dev/terraform declares no ecr-repository "acme/ghost"`},
		{"image: 333333333333.dkr.ecr.eu-west-1.amazonaws.com/acme/checkout:4.1.2", "neither the registry the environment pulls from (111111111111.dkr.ecr.eu-west-1.amazonaws.com)"},
		{"image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/vendor/agent:2.0", ""},
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

// TestRegistryRetention: the registry's own retention settings shape every
// repository's lifecycle policy.
func TestRegistryRetention(t *testing.T) {
	p := loadExample(t)
	p.AWS.Registry.KeepTaggedImages = 31
	p.AWS.Registry.UntaggedExpiryDays = 3
	for id, l := range decodeRegistry(t, emit(t, p)).blocks("resource", "aws_ecr_lifecycle_policy") {
		var policy struct {
			Rules []struct {
				Selection struct {
					TagStatus   string `json:"tagStatus"`
					CountNumber int    `json:"countNumber"`
				} `json:"selection"`
			} `json:"rules"`
		}
		if err := json.Unmarshal([]byte(l["policy"].(string)), &policy); err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for _, r := range policy.Rules {
			got[r.Selection.TagStatus] = r.Selection.CountNumber
		}
		if got["untagged"] != 3 || got["any"] != 31 {
			t.Errorf("%s: lifecycle %v", id, got)
		}
	}
}
