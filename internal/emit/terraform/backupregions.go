package terraform

import "fmt"

// backupRegions makes environments.<env>.backupRegions real: the backup
// bucket is replicated by S3 to a bucket in each backup region, encrypted
// with a key of that region, so losing the primary region loses neither
// the backups' metadata nor the file-system backups of volumes (which is
// why volumes are copied file by file, not snapshotted, in an environment
// with backup regions: an EBS snapshot stays in its region). Delete
// markers are replicated so Velero's expiry applies to the copy too; the
// replica's versioning keeps what was deleted for noncurrentVersionDays,
// like the primary's.
func (b *builder) backupRegions() {
	if !b.velero() || len(b.env.BackupRegions) == 0 {
		return
	}
	const f = "data"
	n := b.n
	providers := []obj{b.files["main"]["provider"].(obj)["aws"].(obj)}
	var rules []obj
	var replicaBuckets []string
	var replicaKeys []expr
	var versionings []string
	for i, region := range b.env.BackupRegions {
		id := tfName("backups_replica", region)
		provider := tfName("backup", region)
		providers = append(providers, obj{
			"alias":               provider,
			"region":              region,
			"allowed_account_ids": []string{b.env.Account},
			"default_tags":        providers[0]["default_tags"],
		})
		key := b.kmsKey(id, n.BackupReplicaKeyAlias(), fmt.Sprintf("Replica of the Velero backups of %s in %s", n.Cluster(), region))
		bucket := b.bucket(id, n.BackupReplicaBucket(region), key, b.env.Backup.NoncurrentVersionDays, nil)
		// Every resource kmsKey and bucket declared for id lives in the
		// backup region.
		for _, typ := range []string{"aws_kms_key", "aws_kms_alias", "aws_s3_bucket", "aws_s3_bucket_ownership_controls",
			"aws_s3_bucket_public_access_block", "aws_s3_bucket_versioning", "aws_s3_bucket_server_side_encryption_configuration",
			"aws_s3_bucket_lifecycle_configuration", "aws_s3_bucket_policy"} {
			b.files[f]["resource"].(obj)[typ].(obj)[id].(obj)["provider"] = "aws." + provider
		}
		replicaBuckets = append(replicaBuckets, n.BucketARN(n.BackupReplicaBucket(region))+"/*")
		replicaKeys = append(replicaKeys, ref(key, "arn"))
		versionings = append(versionings, "aws_s3_bucket_versioning."+id)
		rules = append(rules, obj{
			"id":                        "to-" + region,
			"status":                    "Enabled",
			"priority":                  i,
			"filter":                    obj{},
			"delete_marker_replication": obj{"status": "Enabled"},
			"source_selection_criteria": obj{"sse_kms_encrypted_objects": obj{"status": "Enabled"}},
			"destination": obj{
				"bucket":                   ref(bucket, "arn"),
				"storage_class":            "STANDARD",
				"encryption_configuration": obj{"replica_kms_key_id": ref(key, "arn")},
			},
		})
	}
	b.files["main"]["provider"].(obj)["aws"] = providers

	source := n.BucketARN(n.BackupBucket())
	role := b.serviceRole("backup_replication", n.BackupReplicationRole(), "S3 replication of "+n.BackupBucket()+" to the backup regions", "s3.amazonaws.com", nil)
	b.inlinePolicy("backup_replication", role, "replicate",
		statement{Sid: "ReadSourceConfiguration", Actions: []string{"s3:GetReplicationConfiguration", "s3:ListBucket"}, Resources: []string{source}},
		statement{Sid: "ReadSourceVersions", Actions: []string{"s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"}, Resources: []string{source + "/*"}},
		statement{Sid: "WriteReplicas", Actions: []string{"s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"}, Resources: replicaBuckets},
		statement{Sid: "DecryptSource", Actions: []string{"kms:Decrypt"}, Refs: []expr{ref(keyAddr("backups"), "arn")}},
		statement{Sid: "EncryptReplicas", Actions: []string{"kms:Encrypt", "kms:GenerateDataKey"}, Refs: replicaKeys},
	)
	// Velero lists the replicas through its read-only locations (and a
	// restore reads them): read, never write.
	var replicaARNs []string
	for _, r := range b.env.BackupRegions {
		replicaARNs = append(replicaARNs, n.BucketARN(n.BackupReplicaBucket(r)))
	}
	b.inlinePolicy("velero_replica_read", "aws_iam_role.velero", "velero-replica-read",
		statement{Sid: "ListReplicas", Actions: []string{"s3:ListBucket"}, Resources: replicaARNs},
		statement{Sid: "ReadReplicaObjects", Actions: []string{"s3:GetObject"}, Resources: replicaBuckets},
		statement{Sid: "DecryptReplicas", Actions: []string{"kms:Decrypt", "kms:DescribeKey"}, Refs: replicaKeys},
	)
	b.resource(f, "aws_s3_bucket_replication_configuration", "backups", obj{
		"bucket":     ref(backupBucket, "id"),
		"role":       ref(role, "arn"),
		"rule":       rules,
		"depends_on": append([]string{"aws_s3_bucket_versioning.backups"}, versionings...),
	})
}
