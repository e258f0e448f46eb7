package terraform

import (
	"encoding/json"
	"fmt"

	"github.com/idpgen/idpgen/internal/awsnames"
	"github.com/idpgen/idpgen/internal/model"
	"github.com/idpgen/idpgen/internal/vaultnames"
)

// keyAdminActions are what the account may do with a key through IAM
// policies: administer it and use it. (The account root statement of
// AWS's default key policy grants "kms:*"; this list is that minus
// nothing a key is used for, spelled out.)
var keyAdminActions = []string{
	"kms:CancelKeyDeletion", "kms:Create*", "kms:Decrypt", "kms:Delete*", "kms:Describe*", "kms:Disable*", "kms:Enable*",
	"kms:Encrypt", "kms:GenerateDataKey*", "kms:Get*", "kms:List*", "kms:Put*", "kms:ReEncrypt*", "kms:Revoke*",
	"kms:RotateKeyOnDemand", "kms:ScheduleKeyDeletion", "kms:TagResource", "kms:UntagResource", "kms:Update*",
}

// kmsKey writes a customer managed key of the environment with rotation,
// its alias, and grants to the AWS services that use it (keyIn).
func (b *builder) kmsKey(id, alias, desc string, grants ...statement) string {
	return b.keyIn("data", id, alias, desc, b.n.AccountRootARN(), b.env.Prod(), grants...)
}

// bucket writes a private, versioned, encrypted bucket that refuses plain
// HTTP. kmsKey is the address of the key to encrypt with ("" = SSE-S3).
func (b *builder) bucket(id, name, kmsKey string, noncurrentDays int, tags obj, rules ...obj) string {
	const f = "data"
	body := obj{"bucket": name, "force_destroy": false}
	if tags != nil {
		body["tags"] = tags
	}
	bk := b.resource(f, "aws_s3_bucket", id, body)
	b.resource(f, "aws_s3_bucket_ownership_controls", id, obj{
		"bucket": ref(bk, "id"),
		"rule":   obj{"object_ownership": "BucketOwnerEnforced"},
	})
	b.resource(f, "aws_s3_bucket_public_access_block", id, obj{
		"bucket":                  ref(bk, "id"),
		"block_public_acls":       true,
		"block_public_policy":     true,
		"ignore_public_acls":      true,
		"restrict_public_buckets": true,
	})
	b.resource(f, "aws_s3_bucket_versioning", id, obj{
		"bucket":                   ref(bk, "id"),
		"versioning_configuration": obj{"status": "Enabled"},
	})
	sse := obj{"sse_algorithm": "AES256"}
	if kmsKey != "" {
		sse = obj{"sse_algorithm": "aws:kms", "kms_master_key_id": ref(kmsKey, "arn")}
	}
	b.resource(f, "aws_s3_bucket_server_side_encryption_configuration", id, obj{
		"bucket": ref(bk, "id"),
		"rule":   []obj{{"apply_server_side_encryption_by_default": sse, "bucket_key_enabled": kmsKey != ""}},
	})
	b.resource(f, "aws_s3_bucket_lifecycle_configuration", id, obj{
		"bucket": ref(bk, "id"),
		"rule": append([]obj{{
			"id":                                "expire-noncurrent-versions",
			"status":                            "Enabled",
			"filter":                            obj{},
			"noncurrent_version_expiration":     obj{"noncurrent_days": noncurrentDays},
			"abort_incomplete_multipart_upload": obj{"days_after_initiation": 7},
			"expiration":                        obj{"expired_object_delete_marker": true},
		}}, rules...),
		"depends_on": []string{"aws_s3_bucket_versioning." + id},
	})
	arn := b.n.BucketARN(name)
	doc := b.policy(f, "bucket_"+id, tlsOnly("s3:*", arn, arn+"/*"))
	b.resource(f, "aws_s3_bucket_policy", id, obj{
		"bucket":     ref(bk, "id"),
		"policy":     doc,
		"depends_on": []string{"aws_s3_bucket_public_access_block." + id},
	})
	b.bucketLogging(id, bk, name)
	return bk
}

// storage writes the KMS keys, the backup bucket, the services' queues and
// buckets, and an ECR repository per service.
func (b *builder) storage() {
	const f = "data"
	n := b.n
	b.kmsKey("eks_secrets", n.EKSSecretsKeyAlias(), "Envelope encryption of Kubernetes secrets in "+n.Cluster())
	b.encryptionKeys()
	if buckets := b.bucketNames(); len(buckets) > 0 {
		b.accessLogBucket(buckets)
	}
	if b.karpenter() {
		b.nodeVolumeKey() // karpenter.go
	}
	if b.vault() {
		b.kmsKey("vault_unseal", n.VaultUnsealKeyAlias(), "Vault auto-unseal in "+n.Cluster())
	}
	if b.velero() {
		key := b.kmsKey("backups", n.BackupKeyAlias(), "Velero backups of "+n.Cluster())
		var rules []obj
		if plan, ok := b.p.VaultSnapshotsIn(b.env); ok {
			// Vault's raft snapshots expire after their retention
			// (addons.vault.snapshots); Velero prunes its own backups.
			rules = append(rules, obj{
				"id":         "expire-vault-snapshots",
				"status":     "Enabled",
				"filter":     obj{"prefix": vaultnames.SnapshotPrefix(b.env.Name)},
				"expiration": obj{"days": plan.RetentionDays},
			})
		}
		bk := b.bucket("backups", n.BackupBucket(), key, b.env.Backup.NoncurrentVersionDays, nil, rules...)
		b.objectLock("backups", bk)
	}

	// Services' own resources, tagged with the (first) owning team.
	owner := func(match func(queues, buckets []string) bool) string {
		for _, svc := range b.p.ServiceList {
			if svc.Enabled(b.env.Name) && match(svc.AWS.Queues, svc.AWS.Buckets) {
				return svc.Team
			}
		}
		return ""
	}
	for _, q := range n.ServiceQueues(b.p) {
		team := owner(func(qs, _ []string) bool { return contains(qs, q) })
		b.serviceQueue(q, b.teamTags(team, nil))
	}
	// The services' data (buckets here; tables and topics in
	// serviceaws.go) is encrypted with a key of its own: SSE-KMS for the
	// buckets, with S3 bucket keys to keep KMS calls down. The services
	// that declare a bucket may use it through S3 only (serviceDataKeyUse).
	buckets := n.ServiceBuckets(b.p)
	if len(buckets)+len(n.ServiceTables(b.p))+len(n.ServiceTopics(b.p)) > 0 {
		b.kmsKey("service_data", n.ServiceDataKeyAlias(), "Services' S3 buckets, DynamoDB tables and SNS topics in "+n.Cluster())
	}
	if len(buckets) > 0 {
		key := serviceDataKey
		for _, bk := range buckets {
			team := owner(func(_, bs []string) bool { return contains(bs, bk) })
			b.bucket("svc_"+tfName(bk), n.ServiceBucket(bk), key, b.env.Backup.NoncurrentVersionDays, b.teamTags(team, nil))
		}
	}

	// ECR in the environment's own account, unless the platform has one
	// registry (registry.go creates the repositories there, once).
	if !n.Registry().Central {
		for _, svc := range b.p.ServiceList {
			if svc.Enabled(b.env.Name) {
				b.ecrRepository(f, svc, ecrKey, b.env.ECR.KeepTaggedImages, b.env.ECR.UntaggedExpiryDays)
			}
		}
		if b.ownRepositories() {
			b.registryScanning(f, b.env.Prod())
		}
	}
}

// ecrRepository writes a service's repository: immutable tags, encrypted
// with key (the address of a KMS key), old images expired; the registry's
// scanning configuration scans it. It returns the repository's address.
func (b *builder) ecrRepository(file string, svc *model.Service, key string, keepTagged, untaggedDays int) string {
	lifecycle, _ := json.Marshal(map[string]any{"rules": []any{
		map[string]any{
			"rulePriority": 1,
			"description":  fmt.Sprintf("expire untagged images after %d days", untaggedDays),
			"selection":    map[string]any{"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": untaggedDays},
			"action":       map[string]any{"type": "expire"},
		},
		map[string]any{
			"rulePriority": 2,
			"description":  fmt.Sprintf("keep the newest %d images", keepTagged),
			"selection":    map[string]any{"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keepTagged},
			"action":       map[string]any{"type": "expire"},
		},
	}})
	repo := b.resource(file, "aws_ecr_repository", tfName(svc.Name), obj{
		"name":                     awsnames.ECRRepository(b.p, svc.Name),
		"image_tag_mutability":     "IMMUTABLE",
		"encryption_configuration": obj{"encryption_type": "KMS", "kms_key": ref(key, "arn")},
		"force_delete":             false,
		"tags":                     b.teamTags(svc.Team, obj{"service": svc.Name}),
	})
	b.resource(file, "aws_ecr_lifecycle_policy", tfName(svc.Name), obj{
		"repository": ref(repo, "name"),
		"policy":     string(lifecycle),
	})
	return repo
}

// serviceDataKeyUse lets a service role encrypt and decrypt objects of the
// service buckets: through S3 in the environment's region, nothing else.
func (b *builder) serviceDataKeyUse() statement {
	return statement{
		Sid:        "BucketKey",
		Actions:    []string{"kms:Decrypt", "kms:GenerateDataKey"},
		Refs:       []expr{ref(serviceDataKey, "arn")},
		Conditions: []condition{equals("kms:ViaService", "s3."+b.env.Region+".amazonaws.com")},
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
