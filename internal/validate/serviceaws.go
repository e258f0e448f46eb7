package validate

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"cuelang.org/go/cue/errors"

	"github.com/idpgen/idpgen/internal/awsnames"
	"github.com/idpgen/idpgen/internal/diag"
	"github.com/idpgen/idpgen/internal/model"
)

// serviceAWS checks what CUE cannot about the services' aws resources:
// that services sharing a table agree on its keys, that From addresses
// belong to their SES identity, and that every reviewed statement is
// service-scoped and confined to the environment's account.
func serviceAWS(p *model.Platform, add func(errors.Error)) {
	first := map[string]*model.Service{} // table -> first declaring service
	for _, svc := range p.ServiceList {
		if svc.Invalid {
			continue
		}
		at := func(sel, format string, args ...any) { add(diag.At(svc.Src, sel, format, args...)) }
		for _, t := range sortedNames(svc.AWS.Tables) {
			prev, ok := first[t]
			if !ok {
				first[t] = svc
				continue
			}
			a, b := prev.AWS.Tables[t], svc.AWS.Tables[t]
			if a.PartitionKey != b.PartitionKey || !sameKey(a.SortKey, b.SortKey) {
				sel := "aws.tables." + strconv.Quote(t)
				add(diag.Also(diag.At(svc.Src, sel, "table %q is also declared by service %q with other keys (%s); services sharing a table declare the same partitionKey and sortKey", t, prev.Name, keyString(a)),
					diag.SourcePos(prev.Src.LookupPath(cuePath("aws.tables."+strconv.Quote(t))))))
			}
		}
		for _, id := range sortedNames(svc.AWS.Email) {
			for i, from := range svc.AWS.Email[id].From {
				if !fromIdentity(from, id) {
					at(fmt.Sprintf("aws.email.%s.from[%d]", strconv.Quote(id), i), "%s is not an address of the SES identity %s", from, id)
				}
			}
		}
		statements(p, svc, at)
	}
}

// fromIdentity reports whether address (which may hold "*") belongs to
// identity: the address itself, or an address of the domain.
func fromIdentity(address, identity string) bool {
	if strings.Contains(identity, "@") {
		return address == identity
	}
	return strings.HasSuffix(address, "@"+identity)
}

func sameKey(a, b *model.DynamoDBKey) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

func keyString(t model.DynamoDBTable) string {
	s := fmt.Sprintf("partitionKey %s (%s)", t.PartitionKey.Name, t.PartitionKey.Type)
	if t.SortKey != nil {
		s += fmt.Sprintf(", sortKey %s (%s)", t.SortKey.Name, t.SortKey.Type)
	}
	return s
}

func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// actionRE is a service-scoped IAM action: "service:Action", optionally
// ending in "*".
var actionRE = regexp.MustCompile(`^([a-z0-9-]+):([A-Za-z0-9]*)(\*?)$`)

// privilegedServices may not appear in reviewed statements: their actions
// change who may do what (roles, policies, sessions, accounts), which is
// the platform's business, not a service's.
var privilegedServices = []string{"account", "iam", "organizations", "sts"}

// globalServices have ARNs without a region.
var globalServices = []string{"cloudfront", "iam", "route53", "s3"}

// statements checks a service's aws.statements: every action
// service-scoped, every resource an ARN in each environment's account (and
// region) where the service runs, or one of its own resources.
func statements(p *model.Platform, svc *model.Service, at func(sel, format string, args ...any)) {
	for i, st := range svc.AWS.Statements {
		for j, a := range st.Actions {
			sel := fmt.Sprintf("aws.statements[%d].actions[%d]", i, j)
			m := actionRE.FindStringSubmatch(a)
			switch {
			case a == "*" || a == "*:*":
				at(sel, "action %q allows every action of every AWS service; list service-scoped actions such as \"ssm:GetParameter\"", a)
			case m == nil:
				at(sel, "action %q is not service-scoped: write \"service:Action\", such as \"ssm:GetParameter\" (a trailing * is allowed after a prefix, \"ssm:Get*\")", a)
			case slices.Contains(privilegedServices, m[1]):
				at(sel, "action %q is refused: %s actions change who may do what and are not granted to services", a, m[1])
			case m[2] == "":
				at(sel, "action %q allows every action of %s; list the actions the service needs (a trailing * after a prefix, such as \"%s:Get*\", is allowed)", a, m[1], m[1])
			}
		}
		for j, r := range st.Resources {
			sel := fmt.Sprintf("aws.statements[%d].resources[%d]", i, j)
			if msg := resourceProblem(p, svc, r); msg != "" {
				at(sel, "%s", msg)
			}
		}
	}
}

// resourceProblem says what is wrong with a reviewed statement's resource
// in the first environment (by promotion order) where it is wrong, or "".
func resourceProblem(p *model.Platform, svc *model.Service, r string) string {
	if !strings.HasPrefix(r, "arn:") {
		return fmt.Sprintf("resource %q is not an ARN; write an ARN in the environment's account, such as \"arn:aws:ssm:{region}:{account}:parameter/app/*\"", r)
	}
	for _, env := range p.EnvironmentList {
		if !svc.Enabled(env.Name) {
			continue
		}
		n := awsnames.For(p, env)
		arn, err := n.ExpandARN(svc, r)
		if err != nil {
			return fmt.Sprintf("resource %q: %v", r, err)
		}
		parts := strings.SplitN(arn, ":", 6)
		if len(parts) < 6 {
			return fmt.Sprintf("resource %q is not an ARN of the form arn:aws:SERVICE:REGION:ACCOUNT:RESOURCE", r)
		}
		partition, service, region, account, resource := parts[1], parts[2], parts[3], parts[4], parts[5]
		switch {
		case partition != awsnames.Partition:
			return fmt.Sprintf("resource %q is in partition %q; environments are in %q", r, partition, awsnames.Partition)
		case service == "" || strings.ContainsAny(service, "*?"):
			return fmt.Sprintf("resource %q names no single service", r)
		case resource == "" || strings.HasPrefix(resource, "*") || strings.HasPrefix(resource, "?"):
			return fmt.Sprintf("resource %q matches every resource of %s; name the resources (a wildcard is allowed after a prefix)", r, service)
		case account == "" && service == "s3":
			bucket := strings.SplitN(resource, "/", 2)[0]
			if !slices.ContainsFunc(svc.AWS.Buckets, func(b string) bool { return n.ServiceBucket(b) == bucket }) {
				return fmt.Sprintf("resource %q is a bucket of no known account; only the service's own buckets ({bucket:NAME}) may be named", r)
			}
		case account != env.Account:
			return fmt.Sprintf("resource %q is in account %q, not the account %s of environment %s; write {account}", r, account, env.Account, env.Name)
		case region != env.Region && !(region == "" && slices.Contains(globalServices, service)):
			return fmt.Sprintf("resource %q is in region %q, not the region %s of environment %s; write {region}", r, region, env.Region, env.Name)
		}
	}
	return ""
}
