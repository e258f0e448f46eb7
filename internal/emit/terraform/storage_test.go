package terraform_test

import (
	"slices"
	"testing"

	"github.com/idpgen/idpgen/internal/awsnames"
)

// TestServiceBucketsUseKMS: the services' buckets (the ledger's archive in
// the example) are encrypted with the environment's service-data key, never
// SSE-S3, and each service role may use that key through S3 only.
func TestServiceBucketsUseKMS(t *testing.T) {
	p := loadExample(t)
	tr := emit(t, p)
	for _, env := range p.EnvironmentList {
		n := awsnames.For(p, env)
		d := decode(t, tr, env.Name)
		sse := d.blocks("resource", "aws_s3_bucket_server_side_encryption_configuration")
		svcBuckets := 0
		for _, bk := range n.ServiceBuckets(p) {
			svcBuckets++
			rule := asMap(asList(sse["svc_"+awsnames.Ident(bk)]["rule"])[0])
			def := asMap(rule["apply_server_side_encryption_by_default"])
			if def["sse_algorithm"] != "aws:kms" || def["kms_master_key_id"] != "${aws_kms_key.service_data.arn}" || rule["bucket_key_enabled"] != true {
				t.Errorf("%s: bucket %s encryption %v", env.Name, bk, rule)
			}
		}
		if svcBuckets == 0 {
			t.Fatalf("%s: the example has no service bucket to check", env.Name)
		}
		for name, r := range sse {
			if name == "access_logs" {
				continue // S3 server access logging delivers only to SSE-S3 buckets (TestEncryptionAtRest)
			}
			def := asMap(asMap(asList(r["rule"])[0])["apply_server_side_encryption_by_default"])
			if def["sse_algorithm"] != "aws:kms" {
				t.Errorf("%s: bucket %s is not encrypted with a KMS key: %v", env.Name, name, def)
			}
		}
		if a := d.blocks("resource", "aws_kms_alias")["service_data"]; a["name"] != n.ServiceDataKeyAlias() {
			t.Errorf("%s: service data key alias %v", env.Name, a)
		}

		// The role of every service with a bucket may use the key through S3
		// in the environment's region; no other role may use it through S3.
		// (Tables and topics use it through DynamoDB and SNS: serviceaws.)
		docs := d.blocks("data", "aws_iam_policy_document")
		for _, id := range n.PodIdentities(p) {
			doc, ok := docs[id.ID]
			if !ok {
				continue
			}
			var uses []map[string]any
			for _, st := range asList(doc["statement"]) {
				s := asMap(st)
				for _, c := range asList(s["condition"]) {
					if slices.Contains(strs(s["resources"]), "${aws_kms_key.service_data.arn}") && asMap(c)["variable"] == "kms:ViaService" &&
						slices.Equal(strs(asMap(c)["values"]), []string{"s3." + env.Region + ".amazonaws.com"}) {
						uses = append(uses, s)
					}
				}
			}
			hasBucket := id.Service != nil && len(id.Service.AWS.Buckets) > 0
			if !hasBucket {
				if len(uses) > 0 {
					t.Errorf("%s: %s may use the service data key through S3 without a bucket", env.Name, id.ID)
				}
				continue
			}
			if len(uses) != 1 {
				t.Fatalf("%s: %s: %d statements on the service data key", env.Name, id.ID, len(uses))
			}
			st := uses[0]
			if !slices.Equal(strs(st["actions"]), []string{"kms:Decrypt", "kms:GenerateDataKey"}) {
				t.Errorf("%s: %s key actions %v", env.Name, id.ID, st["actions"])
			}
			c := asMap(asList(st["condition"])[0])
			if c["variable"] != "kms:ViaService" || !slices.Equal(strs(c["values"]), []string{"s3." + env.Region + ".amazonaws.com"}) {
				t.Errorf("%s: %s key condition %v", env.Name, id.ID, c)
			}
		}
	}
}

// TestEndpointPrivateByDefault: the example's clusters have no public API
// endpoint; opening one takes publicEndpoint and the CIDRs, which land in
// the cluster's vpc_config.
func TestEndpointPrivateByDefault(t *testing.T) {
	p := loadExample(t)
	for _, env := range p.EnvironmentList {
		vc := asMap(decode(t, emit(t, p), env.Name).blocks("resource", "aws_eks_cluster")["main"]["vpc_config"])
		if vc["endpoint_public_access"] != false || vc["public_access_cidrs"] != nil || vc["endpoint_private_access"] != true {
			t.Errorf("%s: endpoint %v", env.Name, vc)
		}
	}
	prod := p.Environments["prod"]
	prod.Kubernetes.PublicEndpoint = true
	prod.Kubernetes.PublicAccessCIDRs = []string{"198.51.100.7/32"}
	vc := asMap(decode(t, emit(t, p), "prod").blocks("resource", "aws_eks_cluster")["main"]["vpc_config"])
	if vc["endpoint_public_access"] != true || !slices.Equal(strs(vc["public_access_cidrs"]), []string{"198.51.100.7/32"}) {
		t.Errorf("opened endpoint: %v", vc)
	}
}
