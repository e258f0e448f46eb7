package awsnames

import (
	"strings"
	"testing"

	"github.com/idpgen/idpgen/internal/model"
)

func TestExpandARN(t *testing.T) {
	env := &model.Environment{Name: "dev", Account: "111111111111", Region: "eu-west-1"}
	svc := &model.Service{Name: "api", AWS: model.ServiceAWS{
		Queues: []string{"jobs"}, Buckets: []string{"archive"},
		Tables: map[string]model.DynamoDBTable{"orders": {}}, Topics: map[string]model.SNSTopic{"events": {}},
	}}
	p := &model.Platform{Name: "acme", Environments: map[string]*model.Environment{"dev": env}, Services: map[string]*model.Service{"api": svc}}
	p.Index()
	n := For(p, env)
	for _, tc := range []struct{ in, want, err string }{
		{"arn:aws:ssm:{region}:{account}:parameter/x/*", "arn:aws:ssm:eu-west-1:111111111111:parameter/x/*", ""},
		{"arn:aws:dynamodb:{region}:{account}:table/{table:orders}/stream/*", "arn:aws:dynamodb:eu-west-1:111111111111:table/acme-dev-orders/stream/*", ""},
		{"arn:aws:sns:{region}:{account}:{topic:events}", "arn:aws:sns:eu-west-1:111111111111:acme-dev-events", ""},
		{"arn:aws:sqs:{region}:{account}:{queue:jobs}", "arn:aws:sqs:eu-west-1:111111111111:acme-dev-jobs", ""},
		{"arn:aws:s3:::{bucket:archive}/*", "arn:aws:s3:::acme-dev-archive-111111111111/*", ""},
		{"arn:aws:sns:{region}:{account}:{topic:other}", "", "{topic:other} names a topic the service does not declare in aws.topics"},
		{"arn:aws:sqs:{region}:{account}:{queue:events}", "", "{queue:events} names a queue the service does not declare in aws.queues"},
		{"arn:aws:ssm:{region}:{account:x}:p", "", "unknown placeholder {account:x}"},
		{"arn:aws:ssm:{Region}:{account}:p", "", "unknown placeholder {Region}"},
		{"arn:aws:dynamodb:{region}:{account}:table/{table}", "", "unknown placeholder {table}"},
	} {
		got, err := n.ExpandARN(svc, tc.in)
		switch {
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("%s: got %q, %v; want %q", tc.in, got, err, tc.want)
		case tc.err != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.err)):
			t.Errorf("%s: got error %v, want %q", tc.in, err, tc.err)
		}
	}
}

// TestServiceDataNames: tables, topics and their key are namespaced by
// platform and environment, listed once however many services share them,
// and in the catalog only where a service that declares them runs.
func TestServiceDataNames(t *testing.T) {
	dev := &model.Environment{Name: "dev", Account: "111111111111", Region: "eu-west-1"}
	prod := &model.Environment{Name: "prod", Account: "222222222222", Region: "us-east-2"}
	off := false
	a := &model.Service{Name: "a", AWS: model.ServiceAWS{Tables: map[string]model.DynamoDBTable{"orders": {}}, Topics: map[string]model.SNSTopic{"events": {}}}}
	b := &model.Service{Name: "b", AWS: model.ServiceAWS{Tables: map[string]model.DynamoDBTable{"orders": {}, "carts": {}}},
		Overrides: map[string]model.Override{"prod": {Enabled: &off}}}
	p := &model.Platform{Name: "acme", Environments: map[string]*model.Environment{"dev": dev, "prod": prod}, Services: map[string]*model.Service{"a": a, "b": b}}
	p.Index()
	nd, np := For(p, dev), For(p, prod)
	if got := strings.Join(nd.ServiceTables(p), ","); got != "carts,orders" {
		t.Errorf("dev tables %s", got)
	}
	if got := strings.Join(np.ServiceTables(p), ","); got != "orders" {
		t.Errorf("prod tables %s (b is disabled there)", got)
	}
	if nd.ServiceTable("orders") != "acme-dev-orders" || np.ServiceTopic("events") != "acme-prod-events" || np.ServiceDataKeyAlias() != "alias/acme-prod-service-data" {
		t.Errorf("names %s %s %s", nd.ServiceTable("orders"), np.ServiceTopic("events"), np.ServiceDataKeyAlias())
	}
	if got := np.TopicARN(np.ServiceTopic("events")); got != "arn:aws:sns:us-east-2:222222222222:acme-prod-events" {
		t.Errorf("topic ARN %s", got)
	}
	kinds := map[string]int{}
	for _, c := range nd.Catalog(p) {
		kinds[c.Kind]++
	}
	if kinds[KindDynamoDBTable] != 2 || kinds[KindSNSTopic] != 1 {
		t.Errorf("dev catalog kinds %v", kinds)
	}
	ids := 0
	for _, id := range np.PodIdentities(p) {
		if id.Service != nil {
			ids++
		}
	}
	if ids != 1 {
		t.Errorf("prod has %d service identities, want 1 (a only)", ids)
	}
}
