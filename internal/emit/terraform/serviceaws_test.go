package terraform_test

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/idpgen/idpgen/internal/awsnames"
	. "github.com/idpgen/idpgen/internal/emit/terraform"
	"github.com/idpgen/idpgen/internal/model"
	"github.com/idpgen/idpgen/internal/render"
	"github.com/idpgen/idpgen/internal/tfcheck"
	"github.com/idpgen/idpgen/internal/tree"
)

// loadServiceAWS renders testdata/serviceaws: one worker per kind of AWS
// access, in two accounts and regions.
func loadServiceAWS(t *testing.T) (*model.Platform, *tree.Tree) {
	t.Helper()
	p, tr, err := render.Platform(filepath.Join("testdata", "serviceaws"))
	if err != nil {
		t.Fatal(err)
	}
	return p, tr
}

// policyOf returns the statements of a service's policy document by Sid.
func policyOf(t *testing.T, d decoded, service string) map[string]map[string]any {
	t.Helper()
	doc, ok := d.blocks("data", "aws_iam_policy_document")["svc_"+awsnames.Ident(service)]
	if !ok {
		t.Fatalf("service %s has no policy document", service)
	}
	out := map[string]map[string]any{}
	for _, st := range doc["statement"].([]any) {
		s := asMap(st)
		out[s["sid"].(string)] = s
	}
	return out
}

// TestServiceAWSPolicies: each access level grants exactly its actions, on
// exactly the declared resources of the environment, and nothing else.
func TestServiceAWSPolicies(t *testing.T) {
	p, tr := loadServiceAWS(t)
	read := []string{"dynamodb:BatchGetItem", "dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan"}
	write := []string{"dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:UpdateItem"}
	for _, env := range p.EnvironmentList {
		n := awsnames.For(p, env)
		d := decode(t, tr, env.Name)
		table := func(name string) string { return n.TableARN(n.ServiceTable(name)) }
		topic := func(name string) string { return n.TopicARN(n.ServiceTopic(name)) }
		key := []string{"${aws_kms_key.service_data.arn}"}
		type want struct {
			actions, resources []string
			cond               string // "test variable values..." of the only condition, or ""
		}
		dynamo := fmt.Sprintf("StringEquals kms:ViaService dynamodb.%s.amazonaws.com", env.Region)
		sns := fmt.Sprintf("StringEquals kms:ViaService sns.%s.amazonaws.com", env.Region)
		for svc, sids := range map[string]map[string]want{
			"table-read": {
				"Table0":    {read, []string{table("orders"), table("orders") + "/index/*"}, ""},
				"TablesKey": {[]string{"kms:Decrypt", "kms:DescribeKey"}, key, dynamo},
			},
			"table-write": {
				"Table0":    {write, []string{table("orders")}, ""},
				"TablesKey": {[]string{"kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"}, key, dynamo},
			},
			"table-readwrite": {
				"Table0":    {sorted(append(slices.Clone(read), write...)), []string{table("carts"), table("carts") + "/index/*"}, ""},
				"TablesKey": {[]string{"kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"}, key, dynamo},
			},
			"topic-publish": {
				"Topic0":    {[]string{"sns:Publish"}, []string{topic("events")}, ""},
				"TopicsKey": {[]string{"kms:Decrypt", "kms:GenerateDataKey*"}, key, sns},
			},
			"topic-subscribe": {
				"Topic0": {[]string{"sns:GetTopicAttributes", "sns:Subscribe"}, []string{topic("events")}, ""},
			},
			"topic-both": {
				"Topic0":    {[]string{"sns:GetTopicAttributes", "sns:Publish", "sns:Subscribe"}, []string{topic("audit")}, ""},
				"TopicsKey": {[]string{"kms:Decrypt", "kms:GenerateDataKey*"}, key, sns},
			},
			"mailer": {
				"SendEmail0": {[]string{"ses:SendEmail", "ses:SendRawEmail"}, []string{n.SESIdentityARN("acme.example")}, "StringLike ses:FromAddress receipts@acme.example *@acme.example"},
				"SendEmail1": {[]string{"ses:SendEmail", "ses:SendRawEmail"}, []string{fmt.Sprintf("arn:aws:ses:%s:%s:identity/ops@acme.example", env.Region, env.Account)}, ""},
			},
			"secrets": {
				"ReadSecrets": {[]string{"secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"}, []string{
					fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:rds/orders-??????", env.Region, env.Account),
					fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:stripe-??????", env.Region, env.Account)}, ""},
			},
			"reviewed": {
				"ListBuckets": {[]string{"s3:ListBucket"}, []string{n.BucketARN(n.ServiceBucket("exports"))}, ""},
				"Objects":     {[]string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"}, []string{n.BucketARN(n.ServiceBucket("exports")) + "/*"}, ""},
				"Table0":      {read, []string{table("orders"), table("orders") + "/index/*"}, ""},
				"TablesKey":   {[]string{"kms:Decrypt", "kms:DescribeKey"}, key, dynamo},
				"Reviewed0": {[]string{"dynamodb:GetRecords", "dynamodb:DescribeStream", "s3:Get*"}, []string{
					fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/acme-%s-orders/stream/*", env.Region, env.Account, env.Name),
					fmt.Sprintf("arn:aws:s3:::acme-%s-exports-%s/*", env.Name, env.Account)}, ""},
			},
		} {
			got := policyOf(t, d, svc)
			if len(got) != len(sids) {
				t.Errorf("%s: %s has statements %v, want %d", env.Name, svc, slices.Sorted(mapKeys(got)), len(sids))
			}
			for sid, w := range sids {
				s, ok := got[sid]
				if !ok {
					t.Errorf("%s: %s lacks statement %s", env.Name, svc, sid)
					continue
				}
				if a := strs(s["actions"]); !slices.Equal(a, w.actions) {
					t.Errorf("%s: %s %s actions %v, want %v", env.Name, svc, sid, a, w.actions)
				}
				if r := strs(s["resources"]); !slices.Equal(r, w.resources) {
					t.Errorf("%s: %s %s resources %v, want %v", env.Name, svc, sid, r, w.resources)
				}
				var cond string
				for _, c := range asList(s["condition"]) {
					c := asMap(c)
					cond = strings.Join(append([]string{c["test"].(string), c["variable"].(string)}, strs(c["values"])...), " ")
				}
				if len(asList(s["condition"])) > 1 || cond != w.cond {
					t.Errorf("%s: %s %s conditions %v, want %q", env.Name, svc, sid, s["condition"], w.cond)
				}
			}
		}
		// Sids are unique in every document (the provider refuses
		// duplicates).
		for name, doc := range d.blocks("data", "aws_iam_policy_document") {
			seen := map[any]bool{}
			for _, st := range doc["statement"].([]any) {
				if sid := asMap(st)["sid"]; seen[sid] {
					t.Errorf("%s: %s has sid %v twice", env.Name, name, sid)
				} else {
					seen[sid] = true
				}
			}
		}
		// The reason of a reviewed statement is written next to it.
		if doc := d.blocks("data", "aws_iam_policy_document")["svc_reviewed"]; doc["//"] != "Reviewed0: streams table changes" {
			t.Errorf("%s: reviewed policy comment %v", env.Name, doc["//"])
		}
		// A service without aws gets no role and no association.
		if _, ok := d.blocks("resource", "aws_iam_role")["svc_no_aws"]; ok {
			t.Errorf("%s: no-aws has a role", env.Name)
		}
		assoc := d.blocks("resource", "aws_eks_pod_identity_association")
		for _, svc := range []string{"table-read", "topic-subscribe", "mailer", "secrets", "reviewed"} {
			a := assoc["svc_"+awsnames.Ident(svc)]
			if a["service_account"] != svc || a["role_arn"] != "${aws_iam_role.svc_"+awsnames.Ident(svc)+".arn}" {
				t.Errorf("%s: %s association %v", env.Name, svc, a)
			}
		}
	}
}

func sorted(s []string) []string { slices.Sort(s); return s }

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// TestServiceAWSResources: tables are on demand, recoverable, encrypted
// with the service-data key and protected from deletion in prod; topics
// are encrypted with the same key; each is created once however many
// services declare it; the module passes the hcl/v2 checks and the names
// cross-check.
func TestServiceAWSResources(t *testing.T) {
	p, tr := loadServiceAWS(t)
	for _, env := range p.EnvironmentList {
		n := awsnames.For(p, env)
		d := decode(t, tr, env.Name)
		tables := d.blocks("resource", "aws_dynamodb_table")
		if len(tables) != 2 {
			t.Errorf("%s: %d tables, want orders and carts", env.Name, len(tables))
		}
		for name, tb := range tables {
			sse := asMap(tb["server_side_encryption"])
			if tb["billing_mode"] != "PAY_PER_REQUEST" || asMap(tb["point_in_time_recovery"])["enabled"] != true ||
				sse["enabled"] != true || sse["kms_key_arn"] != "${aws_kms_key.service_data.arn}" || tb["deletion_protection_enabled"] != env.Prod() {
				t.Errorf("%s: table %s %v", env.Name, name, tb)
			}
		}
		carts := tables["svc_carts"]
		if carts["name"] != n.ServiceTable("carts") || carts["hash_key"] != "user" || carts["range_key"] != "at" ||
			fmt.Sprint(carts["attribute"]) != "[map[name:user type:S] map[name:at type:N]]" {
			t.Errorf("%s: carts %v", env.Name, carts)
		}
		topics := d.blocks("resource", "aws_sns_topic")
		if len(topics) != 2 || topics["svc_events"]["name"] != n.ServiceTopic("events") || topics["svc_audit"]["kms_master_key_id"] != "${aws_kms_key.service_data.arn}" {
			t.Errorf("%s: topics %v", env.Name, topics)
		}
		if k := d.blocks("resource", "aws_kms_alias")["service_data"]; k["name"] != n.ServiceDataKeyAlias() {
			t.Errorf("%s: key alias %v", env.Name, k)
		}
		outs := asMap(d["outputs"]["output"])
		if v := asMap(asMap(outs["service_table_names"])["value"]); v["carts"] != "${aws_dynamodb_table.svc_carts.name}" {
			t.Errorf("%s: table outputs %v", env.Name, outs["service_table_names"])
		}
		if v := asMap(asMap(outs["service_topic_arns"])["value"]); v["events"] != "${aws_sns_topic.svc_events.arn}" {
			t.Errorf("%s: topic outputs %v", env.Name, outs["service_topic_arns"])
		}

		files := ModuleFiles(tr, env.Name)
		if diags := tfcheck.Check(files); diags.HasErrors() {
			t.Errorf("%s: %s", env.Name, tfcheck.Error(diags))
		}
		declared, err := DeclaredNames(files)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []awsnames.Named{{Kind: awsnames.KindDynamoDBTable, Name: n.ServiceTable("orders")}, {Kind: awsnames.KindSNSTopic, Name: n.ServiceTopic("audit")}} {
			if !slices.Contains(n.Catalog(p), want) || !declared.Has(want.Kind, want.Name) {
				t.Errorf("%s: %v missing from the catalog or the Terraform", env.Name, want)
			}
		}
		if err := CrossCheck(p, tr, env.Name); err != nil {
			t.Errorf("%s: %v", env.Name, err)
		}
	}
}

// TestCrossCheckServiceData: a Kubernetes file naming a table or topic
// the environment's Terraform does not declare fails the cross-check.
func TestCrossCheckServiceData(t *testing.T) {
	p, tr := loadServiceAWS(t)
	n := awsnames.For(p, p.Environments["dev"])
	// Drop the Terraform's tables and topics: references to them, by name
	// or by ARN, must now fail.
	bare := tree.New()
	for _, f := range tr.Files() {
		data := f.Data
		if f.Path == "environments/dev/terraform/data.tf.json" {
			s := strings.ReplaceAll(string(data), `"aws_dynamodb_table"`, `"aws_x_table"`)
			data = []byte(strings.ReplaceAll(s, `"aws_sns_topic"`, `"aws_x_topic"`))
		}
		if err := bare.Add(f.Emitter, f.Path, data); err != nil {
			t.Fatal(err)
		}
	}
	if err := bare.Add("test", "environments/dev/extra.yaml", []byte("table: "+n.ServiceTable("orders")+"\ntopic: "+n.TopicARN(n.ServiceTopic("events"))+"\n")); err != nil {
		t.Fatal(err)
	}
	err := CrossCheck(p, bare, "dev")
	for _, want := range []string{`declares no dynamodb-table "acme-dev-orders"`, `declares no sns-topic "acme-dev-events"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want %q", err, want)
		}
	}
}
