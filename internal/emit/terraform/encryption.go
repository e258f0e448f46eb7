package terraform

import (
	"encoding/json"
	"fmt"

	"github.com/idpgen/idpgen/internal/awsnames"
)

// Encryption at rest and in transit for every store the foundation
// creates (README, "Security"): customer managed keys whose policies name
// the AWS services that use them, TLS-only resource policies, dead-letter
// queues, S3 access logs and Object Lock.

// Addresses of the keys every part may refer to.
const (
	logsKey   = "aws_kms_key.logs"
	queuesKey = "aws_kms_key.queues"
	ecrKey    = "aws_kms_key.ecr"
	logBucket = "aws_s3_bucket.access_logs"
)

// keyIn writes a customer managed key with rotation, its alias and its key
// policy: the account administers and uses it through IAM policies, and
// grants name the AWS services that use it on their own behalf. In a key
// policy the resource "*" is the key itself. A prod key cannot be
// destroyed by Terraform (prevent_destroy): what it encrypts would be lost
// with it.
func (b *builder) keyIn(file, id, alias, desc, accountRoot string, prod bool, grants ...statement) string {
	doc := b.policy(file, "kms_"+id, append([]statement{{
		Sid:        "AccountAdministersThroughIAM",
		Actions:    keyAdminActions,
		Resources:  []string{"*"},
		Principals: []principal{{Type: "AWS", Identifiers: []string{accountRoot}}},
	}}, grants...)...)
	body := obj{
		"description":             desc,
		"enable_key_rotation":     true,
		"rotation_period_in_days": 365,
		"deletion_window_in_days": 30,
		"policy":                  doc,
	}
	if prod {
		body["lifecycle"] = obj{"prevent_destroy": true}
	}
	key := b.resource(file, "aws_kms_key", id, body)
	b.resource(file, "aws_kms_alias", id, obj{"name": alias, "target_key_id": ref(key, "key_id")})
	return key
}

// keyUse are the actions an AWS service needs on a key to encrypt and
// decrypt for its callers.
var keyUse = []string{"kms:Decrypt", "kms:GenerateDataKey*"}

// logsKeyGrant lets CloudWatch Logs use the logs key for the
// environment's log groups only (the log group's ARN is in the encryption
// context of every request).
func (b *builder) logsKeyGrant() statement {
	n := b.n
	return statement{
		Sid:        "CloudWatchLogsOfThisEnvironment",
		Actions:    []string{"kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"},
		Resources:  []string{"*"},
		Principals: []principal{{Type: "Service", Identifiers: []string{fmt.Sprintf("logs.%s.amazonaws.com", b.env.Region)}}},
		Conditions: []condition{{Test: "ArnEquals", Variable: "kms:EncryptionContext:aws:logs:arn",
			Values: []string{n.LogGroupARN(n.ClusterLogGroup()), n.LogGroupARN(n.FlowLogGroup())}}},
	}
}

// queues reports whether the environment has any SQS queue.
func (b *builder) queues() bool { return b.karpenter() || len(b.n.ServiceQueues(b.p)) > 0 }

// encryptionKeys writes the keys of logs, queues and (without a central
// registry) images.
func (b *builder) encryptionKeys() {
	n := b.n
	b.kmsKey("logs", n.LogsKeyAlias(), "CloudWatch Logs of "+n.Cluster()+" (control plane, VPC flow logs)", b.logsKeyGrant())
	if b.queues() {
		var grants []statement
		if b.karpenter() {
			// EventBridge delivers to the interruption queue, so it
			// encrypts with the queue's key.
			grants = append(grants, statement{
				Sid:        "EventBridgeDeliversInterruptions",
				Actions:    keyUse,
				Resources:  []string{"*"},
				Principals: []principal{{Type: "Service", Identifiers: []string{"events.amazonaws.com"}}},
				Conditions: []condition{equals("aws:SourceAccount", b.env.Account),
					{Test: "ArnLike", Variable: "aws:SourceArn", Values: []string{fmt.Sprintf("arn:%s:events:%s:%s:rule/%s", awsnames.Partition, b.env.Region, b.env.Account, n.InterruptionRule("*"))}}},
			})
		}
		b.kmsKey("queues", n.QueuesKeyAlias(), "SQS queues of "+n.Cluster(), grants...)
	}
	if b.ownRepositories() {
		b.kmsKey("ecr", n.ECRKeyAlias(), "ECR repositories of "+n.Cluster())
	}
}

// ownRepositories reports whether the environment's module creates ECR
// repositories (no central registry, and a service runs in it).
func (b *builder) ownRepositories() bool {
	if b.n.Registry().Central {
		return false
	}
	for _, svc := range b.p.ServiceList {
		if svc.Enabled(b.env.Name) {
			return true
		}
	}
	return false
}

// queueKeyUse lets a role send to and receive from queues encrypted with
// the queues key, through SQS only.
func (b *builder) queueKeyUse(actions ...string) statement {
	return statement{
		Sid:        "QueuesKey",
		Actions:    actions,
		Refs:       []expr{ref(queuesKey, "arn")},
		Conditions: []condition{equals("kms:ViaService", "sqs."+b.env.Region+".amazonaws.com")},
	}
}

// tlsOnly is the statement every resource policy starts with: requests
// over plain HTTP are refused, whoever makes them.
func tlsOnly(action string, resources ...string) statement {
	return statement{
		Sid:        "DenyInsecureTransport",
		Effect:     "Deny",
		Actions:    []string{action},
		Resources:  resources,
		Principals: []principal{{Type: "AWS", Identifiers: []string{"*"}}},
		Conditions: []condition{{Test: "Bool", Variable: "aws:SecureTransport", Values: []string{"false"}}},
	}
}

// maxReceives is how often a message is received without being deleted
// before SQS moves it to the dead-letter queue.
const maxReceives = 5

// serviceQueue writes a service queue, encrypted with the queues key,
// with a dead-letter queue (kept 14 days, SQS's longest) and TLS-only
// policies on both.
func (b *builder) serviceQueue(q string, tags obj) {
	const f = "data"
	n := b.n
	id := "svc_" + tfName(q)
	queueARN, dlqARN := n.QueueARN(n.ServiceQueue(q)), n.QueueARN(n.DeadLetterQueue(q))
	allow, _ := json.Marshal(map[string]any{"redrivePermission": "byQueue", "sourceQueueArns": []string{queueARN}})
	dlq := b.resource(f, "aws_sqs_queue", id+"_dlq", obj{
		"name":                      n.DeadLetterQueue(q),
		"kms_master_key_id":         ref(queuesKey, "arn"),
		"message_retention_seconds": 1209600,
		"redrive_allow_policy":      string(allow),
		"tags":                      tags,
	})
	redrive, _ := json.Marshal(map[string]any{"deadLetterTargetArn": dlqARN, "maxReceiveCount": maxReceives})
	queue := b.resource(f, "aws_sqs_queue", id, obj{
		"name":              n.ServiceQueue(q),
		"kms_master_key_id": ref(queuesKey, "arn"),
		"redrive_policy":    string(redrive),
		"tags":              tags,
		"depends_on":        []string{dlq},
	})
	for _, qq := range []struct{ id, addr, arn string }{{id, queue, queueARN}, {id + "_dlq", dlq, dlqARN}} {
		doc := b.policy(f, "queue_"+qq.id, tlsOnly("sqs:*", qq.arn))
		b.resource(f, "aws_sqs_queue_policy", qq.id, obj{"queue_url": ref(qq.addr, "id"), "policy": doc})
	}
}

// accessLogBucket writes the bucket the environment's other buckets log
// requests to. It is encrypted with SSE-S3: S3 server access logging
// cannot write to a bucket whose default encryption is SSE-KMS. It does
// not log its own requests (that would loop), and keeps logs as long as
// the control-plane logs.
func (b *builder) accessLogBucket(sources []string) {
	const f = "data"
	n := b.n
	name := n.AccessLogBucket()
	bk := b.resource(f, "aws_s3_bucket", "access_logs", obj{"bucket": name, "force_destroy": false,
		"//": "SSE-S3, not SSE-KMS: S3 server access logging delivers only to buckets encrypted with SSE-S3; this bucket does not log itself."})
	b.resource(f, "aws_s3_bucket_ownership_controls", "access_logs", obj{"bucket": ref(bk, "id"), "rule": obj{"object_ownership": "BucketOwnerEnforced"}})
	b.resource(f, "aws_s3_bucket_public_access_block", "access_logs", obj{
		"bucket": ref(bk, "id"), "block_public_acls": true, "block_public_policy": true, "ignore_public_acls": true, "restrict_public_buckets": true,
	})
	b.resource(f, "aws_s3_bucket_server_side_encryption_configuration", "access_logs", obj{
		"bucket": ref(bk, "id"),
		"rule":   []obj{{"apply_server_side_encryption_by_default": obj{"sse_algorithm": "AES256"}}},
	})
	b.resource(f, "aws_s3_bucket_lifecycle_configuration", "access_logs", obj{
		"bucket": ref(bk, "id"),
		"rule": []obj{{
			"id":         "expire-access-logs",
			"status":     "Enabled",
			"filter":     obj{},
			"expiration": obj{"days": b.env.Kubernetes.LogRetentionDays},
		}},
	})
	arn := n.BucketARN(name)
	var sourceARNs []string
	for _, s := range sources {
		sourceARNs = append(sourceARNs, n.BucketARN(s))
	}
	doc := b.policy(f, "bucket_access_logs", tlsOnly("s3:*", arn, arn+"/*"), statement{
		Sid:        "S3LogsThisEnvironmentsBuckets",
		Actions:    []string{"s3:PutObject"},
		Resources:  []string{arn + "/*"},
		Principals: []principal{{Type: "Service", Identifiers: []string{"logging.s3.amazonaws.com"}}},
		Conditions: []condition{equals("aws:SourceAccount", b.env.Account), {Test: "ArnLike", Variable: "aws:SourceArn", Values: sourceARNs}},
	})
	b.resource(f, "aws_s3_bucket_policy", "access_logs", obj{
		"bucket":     ref(bk, "id"),
		"policy":     doc,
		"depends_on": []string{"aws_s3_bucket_public_access_block.access_logs"},
	})
}

// bucketLogging sends a bucket's server access logs to the access-log
// bucket, under a prefix of the bucket's name.
func (b *builder) bucketLogging(id, bucketAddr, name string) {
	b.resource("data", "aws_s3_bucket_logging", id, obj{
		"bucket":        ref(bucketAddr, "id"),
		"target_bucket": ref(logBucket, "id"),
		"target_prefix": name + "/",
		"depends_on":    []string{"aws_s3_bucket_policy.access_logs"},
	})
}

// objectLock locks the backups for backup.objectLockDays in governance
// mode. S3 enables Object Lock on the existing, versioned bucket.
func (b *builder) objectLock(id, bucketAddr string) {
	days := b.env.Backup.ObjectLockDays
	if days == 0 {
		return
	}
	b.resource("data", "aws_s3_bucket_object_lock_configuration", id, obj{
		"bucket":              ref(bucketAddr, "id"),
		"object_lock_enabled": "Enabled",
		"rule":                obj{"default_retention": obj{"mode": "GOVERNANCE", "days": days}},
		"depends_on":          []string{"aws_s3_bucket_versioning." + id},
	})
}

// registryScanning turns on registry-level image scanning, which AWS
// recommends over each repository's scan_on_push: enhanced (Amazon
// Inspector, continuous: images are rescanned as new vulnerabilities are
// published) where prod pulls from, basic on push elsewhere.
func (b *builder) registryScanning(file string, enhanced bool) {
	scan, freq := "BASIC", "SCAN_ON_PUSH"
	if enhanced {
		scan, freq = "ENHANCED", "CONTINUOUS_SCAN"
	}
	b.resource(file, "aws_ecr_registry_scanning_configuration", "main", obj{
		"scan_type": scan,
		"rule": []obj{{
			"scan_frequency":    freq,
			"repository_filter": []obj{{"filter": "*", "filter_type": "WILDCARD"}},
		}},
	})
}

// bucketNames are the names of the environment's buckets that log to the
// access-log bucket.
func (b *builder) bucketNames() []string {
	var out []string
	if b.velero() {
		out = append(out, b.n.BackupBucket())
	}
	for _, bk := range b.n.ServiceBuckets(b.p) {
		out = append(out, b.n.ServiceBucket(bk))
	}
	return out
}
