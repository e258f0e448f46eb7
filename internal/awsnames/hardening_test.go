package awsnames

import (
	"path"
	"strings"
	"testing"
)

// The names of the hardened foundation fit AWS's limits at the longest
// platform, environment and resource names, and stay distinct.
func TestHardeningNamesFitAWSLimits(t *testing.T) {
	p, env := longPlatform()
	n := For(p, env)
	q := strings.Repeat("q", 40)
	for name, max := range map[string]int{
		n.DeadLetterQueue(q):  80,
		n.AccessLogBucket():   63,
		n.CNIRole():           64,
		n.BackupBucket():      63,
		n.InterruptionQueue(): 80,
	} {
		if len(name) > max {
			t.Errorf("%q is %d characters, AWS allows %d", name, len(name), max)
		}
	}
	if n.DeadLetterQueue(q) == n.ServiceQueue(q) || n.AccessLogBucket() == n.BackupBucket() {
		t.Error("shortened names collide")
	}
}

// The permission set pattern matches the roles IAM Identity Center creates
// for that set (with or without the region in the path), not those of a
// set whose name merely starts the same.
func TestSSOPermissionSetRoleARN(t *testing.T) {
	_, env := longPlatform()
	n := Names{env: env}
	pattern := n.SSOPermissionSetRoleARN("dev")
	// ArnLike on one ARN component: "*" and "?" match any characters,
	// slashes included; path.Match's do not, so compare without them.
	flat := func(s string) string { return strings.ReplaceAll(s, "/", "|") }
	for arn, want := range map[string]bool{
		"arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_dev_0123456789abcdef":              true,
		"arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_dev_0123456789abcdef":    true,
		"arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_dev_admin_0123456789abcdef":        false,
		"arn:aws:iam::123456789012:role/AWSReservedSSO_dev_0123456789abcdef":                                             false,
		"arn:aws:iam::210987654321:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_dev_0123456789abcdef":              false,
		"arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_developers_0123456789ab": false,
	} {
		got, err := path.Match(flat(pattern), flat(arn))
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s matches %s: %v, want %v", pattern, arn, got, want)
		}
	}
}
