// Package synth writes synthetic platforms for benchmarks and stress tests:
// N services across M environments, spread over several files and teams,
// with the mix a real platform has (web services, workers, stateful
// services, autoscaling, secrets, overrides, a dependency graph).
package synth

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Options sizes the platform.
type Options struct {
	Services     int
	Environments int // 1 to 4: dev, staging, prod, perf
	Teams        int
	PerFile      int // services per file
	// UnknownDependencies makes every service also depend on a service
	// that does not exist (its own name misspelt), for error reporting
	// at scale.
	UnknownDependencies bool
	// AWS gives some services AWS resources (queues, buckets, tables,
	// topics) and turns Velero on, so that every kind of AWS resource the
	// Terraform emitter writes is in the platform (aws.go).
	AWS bool
}

var envs = []struct {
	name, tier string
}{{"dev", "nonprod"}, {"staging", "nonprod"}, {"prod", "prod"}, {"perf", "nonprod"}}

// Write writes the platform package into dir, which must be inside a CUE
// module whose schemas package is github.com/idpgen/idpgen/schemas.
func Write(dir string, o Options) error {
	if o.Environments < 1 || o.Environments > len(envs) {
		return fmt.Errorf("environments must be 1 to %d", len(envs))
	}
	if o.Teams == 0 {
		o.Teams = max(1, o.Services/50)
	}
	if o.PerFile == 0 {
		o.PerFile = 100
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, `package platform

import "github.com/idpgen/idpgen/schemas"

schemas.#Platform

name: "synth"
repo: url: "https://git.example.com/synth/platform.git"
aws: stateBucket: "synth-terraform-state"
policy: allowedRegistries: ["registry.example.com/"]
// Metrics ports are scraped by the monitoring agent.
addons: datadog: {enabled: true, apiKey: {path: "kv/data/platform/datadog", key: "api-key"}}
teams: {
`)
	for t := range o.Teams {
		fmt.Fprintf(&b, "\t\"team-%d\": owners: [\"team-%d@example.com\"]\n", t, t)
	}
	b.WriteString("}\nenvironments: {\n")
	for i, e := range envs[:o.Environments] {
		// Karpenter's limits at the schema's maximum: thousands of
		// services at their HPA maximum need far more than the defaults.
		// Public services need the environment's certificate.
		account := int64(100000000000) + int64(i)*111111111111%900000000000
		fmt.Fprintf(&b, "\t%s: {tier: %q, account: \"%012d\", region: \"eu-west-1\", promotion: %d, network: vpcCIDR: \"10.%d.0.0/16\", sizing: karpenter: {cpuLimit: 1000000, memoryLimitGiB: 8000000}, ingress: certificates: [\"arn:aws:acm:eu-west-1:%012d:certificate/00000000-0000-4000-8000-%012d\"]}\n",
			e.name, e.tier, account, i, 10*(i+1), account, i)
	}
	b.WriteString("}\n")
	if o.AWS {
		b.WriteString("addons: velero: enabled: true\n")
	}
	if err := os.WriteFile(filepath.Join(dir, "platform.cue"), []byte(b.String()), 0o644); err != nil {
		return err
	}
	for start := 0; start < o.Services; start += o.PerFile {
		b.Reset()
		b.WriteString("package platform\n\nservices: {\n")
		for i := start; i < min(start+o.PerFile, o.Services); i++ {
			service(&b, i, o)
		}
		b.WriteString("}\n")
		name := filepath.Join(dir, fmt.Sprintf("services-%04d.cue", start/o.PerFile))
		if err := os.WriteFile(name, []byte(b.String()), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func service(b *strings.Builder, i int, o Options) {
	fmt.Fprintf(b, "\t\"svc-%d\": {\n\t\tteam: \"team-%d\"\n", i, i%o.Teams)
	fmt.Fprintf(b, "\t\timage: {repository: \"registry.example.com/svc-%d\", tag: \"1.%d.0\"}\n", i, i%50)
	// The dependency graph: the three services before this one (other
	// teams: teams are assigned round-robin) and, for every other service,
	// one far away, possibly later (so there are cycles): three calls on
	// average, as in a real platform.
	var deps []string
	dep := func(d int) {
		if d%7 != 6 && d != i { // workers serve no traffic; nothing depends on them
			deps = append(deps, fmt.Sprintf("%q", fmt.Sprintf("svc-%d", d)))
		}
	}
	for d := max(0, i-3); d < i; d++ {
		dep(d)
	}
	if far := (i*37 + 11) % o.Services; i%2 == 0 && (far < i-3 || far > i) {
		dep(far)
	}
	if o.UnknownDependencies {
		deps = append(deps, fmt.Sprintf("\"svc-%dx\"", i))
	}
	fmt.Fprintf(b, "\t\tdependsOn: [%s]\n", strings.Join(deps, ", "))
	fmt.Fprintf(b, "\t\tenv: {LOG_LEVEL: \"info\", SERVICE_INDEX: \"%d\"}\n", i)
	fmt.Fprintf(b, "\t\tresources: requests: {cpuMillis: %d, memoryMiB: %d}\n", 100+50*(i%5), 128*(1+i%4))
	switch {
	case i%7 == 6:
		b.WriteString("\t\tkind: \"worker\"\n\t\tprobes: liveness: exec: [\"/app\", \"health\"]\n")
		fmt.Fprintf(b, "\t\tsecrets: QUEUE_TOKEN: {path: \"kv/data/svc-%d\", key: \"token\"}\n", i)
	case i%13 == 12:
		b.WriteString("\t\tkind: \"stateful\"\n\t\tports: [{name: \"db\", port: 5432}]\n\t\tprobes: liveness: exec: [\"pg_isready\"]\n\t\tstorage: sizeGiB: 20\n\t\treplicas: 1\n\t\tsingleReplicaInProd: true\n\t\twritablePaths: [\"/var/run/postgresql\"]\n")
	default:
		if i%4 == 0 {
			b.WriteString("\t\tports: [{name: \"http\", port: 8080}, {name: \"metrics\", port: 9090, metrics: true}]\n")
		} else {
			b.WriteString("\t\tports: [{name: \"http\", port: 8080}]\n")
		}
		switch {
		case i%30 == 1: // a third of the public services are internal
			fmt.Fprintf(b, "\t\tpublic: {host: \"svc-%d.internal.synth.example.com\", port: \"http\", scheme: \"internal\"}\n", i)
		case i%10 == 1:
			fmt.Fprintf(b, "\t\tpublic: {host: \"svc-%d.synth.example.com\", port: \"http\"}\n", i)
		}
		switch {
		case i%11 == 5:
			fmt.Fprintf(b, "\t\tegress: [{host: \"api.partner-%d.example.com\", ports: [443]}]\n", i%5)
		case i%17 == 3:
			b.WriteString("\t\tegress: [{cidr: \"203.0.113.0/24\", ports: [8443]}]\n")
		}
		if i%3 == 0 {
			b.WriteString("\t\tautoscaling: {minReplicas: 2, maxReplicas: 10}\n")
		}
		fmt.Fprintf(b, "\t\tsecrets: DATABASE_URL: {path: \"kv/data/svc-%d\", key: \"database-url\"}\n", i)
	}
	if o.AWS {
		awsResources(b, i)
	}
	b.WriteString("\t\toverrides: {\n\t\t\tdev: env: LOG_LEVEL: \"debug\"\n")
	if o.Environments >= 3 && i%13 != 12 {
		if i%3 == 0 && i%7 != 6 {
			b.WriteString("\t\t\tprod: autoscaling: maxReplicas: 30\n")
		} else {
			b.WriteString("\t\t\tprod: replicas: 3\n")
		}
	}
	b.WriteString("\t\t}\n\t}\n")
}
