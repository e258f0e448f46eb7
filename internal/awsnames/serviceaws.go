package awsnames

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/idpgen/idpgen/internal/model"
)

// Names and ARNs of the AWS resources services declare beyond queues and
// buckets (aws.tables, aws.topics, aws.email, aws.secretsManager), and the
// expansion of the placeholders of aws.statements.

// ServiceTable is the DynamoDB table a service declares in aws.tables
// (DynamoDB allows 255 characters).
func (n Names) ServiceTable(table string) string { return limit(n.Cluster()+"-"+table, 255) }

// ServiceTopic is the SNS topic a service declares in aws.topics (SNS
// allows 256 characters).
func (n Names) ServiceTopic(topic string) string { return limit(n.Cluster()+"-"+topic, 256) }

// ServiceDataKeyAlias is the KMS key encrypting the services' tables and
// topics.
func (n Names) ServiceDataKeyAlias() string { return "alias/" + n.Cluster() + "-service-data" }

// TableARN is the ARN of a DynamoDB table of the environment.
func (n Names) TableARN(table string) string {
	return fmt.Sprintf("arn:%s:dynamodb:%s:%s:table/%s", Partition, n.env.Region, n.env.Account, table)
}

// TopicARN is the ARN of an SNS topic of the environment.
func (n Names) TopicARN(topic string) string {
	return fmt.Sprintf("arn:%s:sns:%s:%s:%s", Partition, n.env.Region, n.env.Account, topic)
}

// SESIdentityARN is the ARN of an SES identity (domain or address) in the
// environment's account and region.
func (n Names) SESIdentityARN(identity string) string {
	return fmt.Sprintf("arn:%s:ses:%s:%s:identity/%s", Partition, n.env.Region, n.env.Account, identity)
}

// SecretARN matches a Secrets Manager secret of the environment by name:
// Secrets Manager appends "-" and six random characters to the ARN.
func (n Names) SecretARN(secret string) string {
	return fmt.Sprintf("arn:%s:secretsmanager:%s:%s:secret:%s-??????", Partition, n.env.Region, n.env.Account, secret)
}

// ServiceTables lists the tables of the environment, each once, sorted
// (services may share a table).
func (n Names) ServiceTables(p *model.Platform) []string {
	var out []string
	for _, svc := range p.ServiceList {
		if svc.Enabled(n.env.Name) {
			out = append(out, slices.Collect(maps.Keys(svc.AWS.Tables))...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// ServiceTopics lists the topics of the environment, each once, sorted.
func (n Names) ServiceTopics(p *model.Platform) []string {
	var out []string
	for _, svc := range p.ServiceList {
		if svc.Enabled(n.env.Name) {
			out = append(out, slices.Collect(maps.Keys(svc.AWS.Topics))...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// placeholderRE matches the placeholders of aws.statements resources.
var placeholderRE = regexp.MustCompile(`\{([^{}:]*)(?::([^{}]*))?\}`)

// ExpandARN replaces the placeholders of an aws.statements resource of svc
// with this environment's values: {account}, {region}, and {table:x},
// {topic:x}, {queue:x}, {bucket:x} with the full name of a resource svc
// declares. It fails on an unknown placeholder or a resource svc does not
// declare.
func (n Names) ExpandARN(svc *model.Service, arn string) (string, error) {
	var err error
	out := placeholderRE.ReplaceAllStringFunc(arn, func(m string) string {
		sub := placeholderRE.FindStringSubmatch(m)
		kind, name := sub[1], sub[2]
		bare := !strings.Contains(m, ":")
		declared := false
		var full string
		switch {
		case kind == "account" && bare:
			return n.env.Account
		case kind == "region" && bare:
			return n.env.Region
		case kind == "table" && !bare:
			_, declared = svc.AWS.Tables[name]
			full = n.ServiceTable(name)
		case kind == "topic" && !bare:
			_, declared = svc.AWS.Topics[name]
			full = n.ServiceTopic(name)
		case kind == "queue" && !bare:
			declared, full = slices.Contains(svc.AWS.Queues, name), n.ServiceQueue(name)
		case kind == "bucket" && !bare:
			declared, full = slices.Contains(svc.AWS.Buckets, name), n.ServiceBucket(name)
		default:
			if err == nil {
				err = fmt.Errorf("unknown placeholder %s; expected {account}, {region}, {table:NAME}, {topic:NAME}, {queue:NAME} or {bucket:NAME}", m)
			}
			return m
		}
		if !declared && err == nil {
			err = fmt.Errorf("%s names a %s the service does not declare in aws.%ss", m, kind, kind)
		}
		return full
	})
	return out, err
}

// serviceDataCatalog is the part of Catalog for tables and topics.
func (n Names) serviceDataCatalog(p *model.Platform) []Named {
	tables, topics := n.ServiceTables(p), n.ServiceTopics(p)
	var out []Named
	for _, t := range tables {
		out = append(out, Named{KindDynamoDBTable, n.ServiceTable(t)})
	}
	for _, t := range topics {
		out = append(out, Named{KindSNSTopic, n.ServiceTopic(t)})
	}
	if len(tables)+len(topics) > 0 {
		out = append(out, Named{KindKMSAlias, n.ServiceDataKeyAlias()})
	}
	return out
}
