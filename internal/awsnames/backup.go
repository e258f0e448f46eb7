package awsnames

// BackupReplicaBucket is the copy of the backup bucket in a backup region
// (S3 replication): what a restore reads after losing the primary region.
func (n Names) BackupReplicaBucket(region string) string {
	return limit(n.Cluster()+"-backups-"+region+"-"+n.env.Account, 63)
}

// BackupReplicaKeyAlias is the KMS key encrypting the replica bucket, in
// its region (a KMS key never leaves its region).
func (n Names) BackupReplicaKeyAlias() string { return "alias/" + n.Cluster() + "-backups-replica" }

// BackupReplicationRole is the IAM role S3 assumes to replicate the backup
// bucket.
func (n Names) BackupReplicationRole() string { return limit(n.Cluster()+"-backup-replication", 64) }
