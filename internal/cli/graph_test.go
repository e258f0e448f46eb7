package cli_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/idpgen/idpgen/internal/cli"
)

func graph(t *testing.T, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := cli.Run(append([]string{"graph", "--platform", "../../platforms/example"}, args...), &stdout, &stderr); code != cli.ExitOK {
		t.Fatalf("idpgen graph %v: exit %d: %s", args, code, stderr.String())
	}
	return stdout.String()
}

// The example's prod graph, edge by edge: calls from dependsOn, the
// public storefront behind the internet-facing gateway, the catalogue's
// metrics scrape, the payment provider as the only external destination and
// the AWS APIs of the services with AWS resources.
func TestGraphOfTheExample(t *testing.T) {
	var doc struct {
		Environments []struct {
			Name  string
			Edges []struct {
				From, To, Kind string
				Ports          []int
				Cycle          bool
			}
		}
	}
	if err := json.Unmarshal([]byte(graph(t, "--env", "prod", "--format", "json")), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Environments) != 1 || doc.Environments[0].Name != "prod" {
		t.Fatalf("environments %+v", doc.Environments)
	}
	var got []string
	for _, e := range doc.Environments[0].Edges {
		got = append(got, fmt.Sprintf("%s %s->%s %v cycle=%v", e.Kind, e.From, e.To, e.Ports, e.Cycle))
	}
	want := []string{
		"call cart->sessions [6379] cycle=false",
		"ingress gateway:internal->catalog [8080] cycle=false",
		"scrape monitoring:datadog->catalog [9090] cycle=false",
		"call catalog->search [8080] cycle=false",
		"aws catalog->aws [443] cycle=false",
		"call checkout->ledger [5432] cycle=false",
		"call checkout->payments [8080] cycle=false",
		"aws checkout->aws [443] cycle=false",
		"aws ledger->aws [443] cycle=false",
		"call order-worker->ledger [5432] cycle=false",
		"call order-worker->payments [8080] cycle=false",
		"aws order-worker->aws [443] cycle=false",
		"call payments->ledger [5432] cycle=false",
		"aws payments->aws [443] cycle=false",
		"egress payments->external:api.stripe.com [443] cycle=false",
		"call receipt-mailer->ledger [5432] cycle=false",
		"aws receipt-mailer->aws [443] cycle=false",
		"ingress gateway:internet-facing->storefront [8080] cycle=false",
		"call storefront->cart [8080] cycle=false",
		"call storefront->catalog [8080 9090] cycle=false",
		"call storefront->checkout [8080] cycle=false",
	}
	if !slices.Equal(got, want) {
		t.Errorf("prod edges:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// receipt-mailer is disabled in dev: no node, no edge.
	if dev := graph(t, "--env", "dev"); strings.Contains(dev, "receipt") {
		t.Errorf("dev graph shows a service not deployed there:\n%s", dev)
	}
}

// Every format is deterministic and names every environment by default.
func TestGraphFormats(t *testing.T) {
	for _, format := range []string{"mermaid", "dot", "json"} {
		a, b := graph(t, "--format", format), graph(t, "--format", format)
		if a != b {
			t.Errorf("%s: two runs differ", format)
		}
		for _, env := range []string{"dev", "staging", "prod"} {
			if !strings.Contains(a, env) {
				t.Errorf("%s: no environment %s", format, env)
			}
		}
	}
	m := graph(t, "--env", "prod")
	for _, line := range []string{
		`flowchart LR`,
		`subgraph prod__team_payments["team payments"]`,
		`prod__gateway__internet_facing -->|8080| prod__storefront`,
		`prod__monitoring__datadog -.->|metrics 9090| prod__catalog`,
		`prod__payments -->|443| prod__external__api_stripe_com`,
	} {
		if !strings.Contains(m, line) {
			t.Errorf("mermaid output lacks %q:\n%s", line, m)
		}
	}
}

func TestGraphUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"--env", "qa"}, {"--format", "png"}} {
		var stdout, stderr bytes.Buffer
		if code := cli.Run(append([]string{"graph", "--platform", "../../platforms/example"}, args...), &stdout, &stderr); code != cli.ExitUsage || stderr.Len() == 0 {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr.String())
		}
	}
}

// The README shows the example's prod graph as `idpgen graph --env prod`
// prints it.
func TestReadmeShowsTheGraph(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "```mermaid\n"+graph(t, "--env", "prod")+"```\n") {
		t.Error("README.md does not show the output of `idpgen graph --env prod` in a mermaid block")
	}
}
