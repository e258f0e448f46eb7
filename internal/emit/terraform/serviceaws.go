package terraform

import (
	"fmt"
	"slices"
	"strings"

	"github.com/idpgen/idpgen/internal/model"
)

// The services' AWS resources beyond queues and buckets (aws.tables,
// aws.topics, aws.email, aws.secretsManager, aws.statements): the tables
// and topics the platform creates, and what each service's role may do
// with them and with the resources it references.

// Addresses of the service-data key.
const serviceDataKey = "aws_kms_key.service_data"

// Actions per access level. Reads cover the table's indexes too (Query
// and Scan on an index are authorised on the index ARN).
var (
	tableReadActions  = []string{"dynamodb:BatchGetItem", "dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan"}
	tableWriteActions = []string{"dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:UpdateItem"}
	topicPublish      = []string{"sns:Publish"}
	topicSubscribe    = []string{"sns:GetTopicAttributes", "sns:Subscribe"}
	sesSendActions    = []string{"ses:SendEmail", "ses:SendRawEmail"}
	secretReadActions = []string{"secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"}
	// The service-data key, used through DynamoDB or SNS only: decrypting
	// reads, encrypting (data keys) writes and publishes.
	keyReadActions  = []string{"kms:Decrypt", "kms:DescribeKey"}
	keyWriteActions = []string{"kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"}
)

// TableActions are the DynamoDB actions of an access level.
func TableActions(access string) []string {
	var out []string
	if access == model.AccessRead || access == model.AccessReadWrite {
		out = append(out, tableReadActions...)
	}
	if access == model.AccessWrite || access == model.AccessReadWrite {
		out = append(out, tableWriteActions...)
	}
	slices.Sort(out)
	return out
}

// TopicActions are the SNS actions of an access level.
func TopicActions(access string) []string {
	var out []string
	if access == model.AccessPublish || access == model.AccessPublishSubscribe {
		out = append(out, topicPublish...)
	}
	if access == model.AccessSubscribe || access == model.AccessPublishSubscribe {
		out = append(out, topicSubscribe...)
	}
	slices.Sort(out)
	return out
}

// serviceDataOwners maps each table and topic of the environment to the
// first service (by name) that declares it: its declaration creates the
// table (validate holds every other declaration to the same keys) and its
// team is tagged. One pass over the services, however many share a name.
func (b *builder) serviceDataOwners() (tables, topics map[string]*model.Service) {
	tables, topics = map[string]*model.Service{}, map[string]*model.Service{}
	for _, svc := range b.p.ServiceList {
		if !svc.Enabled(b.env.Name) {
			continue
		}
		for t := range svc.AWS.Tables {
			if tables[t] == nil {
				tables[t] = svc
			}
		}
		for t := range svc.AWS.Topics {
			if topics[t] == nil {
				topics[t] = svc
			}
		}
	}
	return tables, topics
}

// serviceData writes the services' DynamoDB tables and SNS topics, and the
// KMS key that encrypts them, in data.tf.json.
func (b *builder) serviceData() {
	const f = "data"
	n := b.n
	tables, topics := n.ServiceTables(b.p), n.ServiceTopics(b.p)
	if len(tables)+len(topics) == 0 {
		return
	}
	key := b.kmsKey("service_data", n.ServiceDataKeyAlias(), "Services' DynamoDB tables and SNS topics in "+n.Cluster())
	tableOwner, topicOwner := b.serviceDataOwners()
	for _, t := range tables {
		svc := tableOwner[t]
		decl := svc.AWS.Tables[t]
		attrs := []obj{{"name": decl.PartitionKey.Name, "type": decl.PartitionKey.Type}}
		body := obj{
			"name":                        n.ServiceTable(t),
			"billing_mode":                "PAY_PER_REQUEST",
			"hash_key":                    decl.PartitionKey.Name,
			"point_in_time_recovery":      obj{"enabled": true},
			"server_side_encryption":      obj{"enabled": true, "kms_key_arn": ref(key, "arn")},
			"deletion_protection_enabled": b.env.Prod(),
			"tags":                        b.teamTags(svc.Team, nil),
		}
		if sk := decl.SortKey; sk != nil {
			body["range_key"] = sk.Name
			attrs = append(attrs, obj{"name": sk.Name, "type": sk.Type})
		}
		body["attribute"] = attrs
		b.resource(f, "aws_dynamodb_table", "svc_"+tfName(t), body)
	}
	for _, t := range topics {
		b.resource(f, "aws_sns_topic", "svc_"+tfName(t), obj{
			"name":              n.ServiceTopic(t),
			"kms_master_key_id": ref(key, "arn"),
			"tags":              b.teamTags(topicOwner[t].Team, nil),
		})
	}
}

// serviceAccessPolicy is what a service's role may do with its tables,
// topics, SES identities and Secrets Manager secrets, and its reviewed
// statements: one statement per resource and access level.
func (b *builder) serviceAccessPolicy(svc *model.Service) []statement {
	n := b.n
	var stmts []statement
	keyVia := func(service string) condition {
		return equals("kms:ViaService", fmt.Sprintf("%s.%s.amazonaws.com", service, b.env.Region))
	}
	var tableKey, topicKey []string
	// Sids are numbered: names with dashes and digits have no one-to-one
	// spelling in the letters and digits a Sid allows.
	for i, t := range sortedKeys(svc.AWS.Tables) {
		decl := svc.AWS.Tables[t]
		arn := n.TableARN(n.ServiceTable(t))
		res := []string{arn}
		if decl.Access != model.AccessWrite {
			res = append(res, arn+"/index/*")
		}
		stmts = append(stmts, statement{Sid: fmt.Sprintf("Table%d", i), Actions: TableActions(decl.Access), Resources: res})
		tableKey = mergeActions(tableKey, keyReadActions)
		if decl.Access != model.AccessRead {
			tableKey = mergeActions(tableKey, keyWriteActions)
		}
	}
	if len(tableKey) > 0 {
		stmts = append(stmts, statement{Sid: "TablesKey", Actions: tableKey, Resources: []string{ref(serviceDataKey, "arn")}, Conditions: []condition{keyVia("dynamodb")}})
	}
	for i, t := range sortedKeys(svc.AWS.Topics) {
		decl := svc.AWS.Topics[t]
		stmts = append(stmts, statement{Sid: fmt.Sprintf("Topic%d", i), Actions: TopicActions(decl.Access), Resources: []string{n.TopicARN(n.ServiceTopic(t))}})
		if decl.Access != model.AccessSubscribe {
			topicKey = []string{"kms:Decrypt", "kms:GenerateDataKey*"}
		}
	}
	if len(topicKey) > 0 {
		stmts = append(stmts, statement{Sid: "TopicsKey", Actions: topicKey, Resources: []string{ref(serviceDataKey, "arn")}, Conditions: []condition{keyVia("sns")}})
	}
	for i, id := range sortedKeys(svc.AWS.Email) {
		st := statement{Sid: fmt.Sprintf("SendEmail%d", i), Actions: sesSendActions, Resources: []string{n.SESIdentityARN(id)}}
		if from := svc.AWS.Email[id].From; len(from) > 0 {
			st.Conditions = []condition{like("ses:FromAddress", from...)}
		}
		stmts = append(stmts, st)
	}
	if s := svc.AWS.SecretsManager; len(s) > 0 {
		var arns []string
		for _, name := range s {
			arns = append(arns, n.SecretARN(name))
		}
		slices.Sort(arns)
		stmts = append(stmts, statement{Sid: "ReadSecrets", Actions: secretReadActions, Resources: slices.Compact(arns)})
	}
	for i, st := range svc.AWS.Statements {
		var res []string
		for _, r := range st.Resources {
			arn, err := n.ExpandARN(svc, r)
			if err != nil && b.err == nil {
				// validate refuses it first with a position; reaching here
				// is a bug.
				b.err = fmt.Errorf("services.%s.aws.statements[%d]: %w", svc.Name, i, err)
			}
			res = append(res, arn)
		}
		stmts = append(stmts, statement{Sid: ReviewedSid(i), Actions: st.Actions, Resources: res})
	}
	return stmts
}

// ReviewedSid is the Sid of the i-th statement of aws.statements.
func ReviewedSid(i int) string { return fmt.Sprintf("Reviewed%d", i) }

// reviewNote is the comment written on a service's policy document: the
// reason given for each reviewed statement.
func reviewNote(svc *model.Service) string {
	var parts []string
	for i, st := range svc.AWS.Statements {
		parts = append(parts, ReviewedSid(i)+": "+st.Reason)
	}
	return strings.Join(parts, "; ")
}

func mergeActions(a, b []string) []string {
	out := append(slices.Clone(a), b...)
	slices.Sort(out)
	return slices.Compact(out)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// serviceOutputs are the names services read to find their tables and
// topics.
func (b *builder) serviceOutputs() {
	tables, topics := obj{}, obj{}
	for _, t := range b.n.ServiceTables(b.p) {
		tables[t] = ref("aws_dynamodb_table.svc_"+tfName(t), "name")
	}
	for _, t := range b.n.ServiceTopics(b.p) {
		topics[t] = ref("aws_sns_topic.svc_"+tfName(t), "arn")
	}
	if len(tables) > 0 {
		b.output("service_table_names", "DynamoDB table name of each table services declare.", tables)
	}
	if len(topics) > 0 {
		b.output("service_topic_arns", "SNS topic ARN of each topic services declare.", topics)
	}
}

// annotate writes note as the "//" comment (Terraform JSON's comment
// property) of a block already declared in file.
func (b *builder) annotate(file, note string, keys ...string) {
	if note == "" {
		return
	}
	cur := b.files[file]
	for _, k := range keys {
		cur, _ = cur[k].(obj)
	}
	if cur != nil {
		cur["//"] = note
	}
}
