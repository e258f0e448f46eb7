package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/idpgen/idpgen/internal/model"
	"github.com/idpgen/idpgen/internal/render"
	"github.com/idpgen/idpgen/internal/traffic"
)

type graphOptions struct {
	env    string
	format string
}

func newGraph(g *globalOptions, stdout, stderr io.Writer) *cobra.Command {
	o := &graphOptions{}
	cmd := &cobra.Command{
		Use:   "graph",
		Short: "Print who may talk to whom, per environment",
		Long: `graph prints the traffic the platform allows, from the same graph the
NetworkPolicies and Istio AuthorizationPolicies are rendered from: services
grouped by team, calls (dependsOn; edges on a dependency cycle are marked),
public entry points through the ingress gateways, metrics scrapes by the
monitoring agent, external egress and AWS API calls. Mermaid (the default)
renders in GitHub pull requests and READMEs; dot is for Graphviz; json is for
tools. The output is deterministic.

` + exitCodesHelp,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var write func(io.Writer, []*traffic.Graph) error
			switch o.format {
			case "mermaid":
				write = writeMermaid
			case "dot":
				write = writeDot
			case "json":
				write = writeJSON
			default:
				return &exitError{ExitUsage, fmt.Errorf("--format must be mermaid, dot or json, got %q", o.format)}
			}
			if err := checkPlatformDir(g.platform); err != nil {
				return err
			}
			p, err := render.Load(g.platform)
			if err != nil {
				return g.invalid(stderr, err)
			}
			graphs, err := graphsOf(p, o.env)
			if err != nil {
				return err
			}
			if err := write(stdout, graphs); err != nil {
				return &exitError{ExitFailure, err}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&o.env, "env", "", "only this environment (default: every environment)")
	// This --format shadows the global one (error format): graph prints
	// its errors in the default error format.
	cmd.Flags().StringVar(&o.format, "format", "mermaid", "output format: mermaid, dot or json")
	return cmd
}

func graphsOf(p *model.Platform, env string) ([]*traffic.Graph, error) {
	var out []*traffic.Graph
	var names []string
	for _, e := range p.EnvironmentList {
		names = append(names, e.Name)
		if env == "" || env == e.Name {
			out = append(out, traffic.Build(p, e))
		}
	}
	if len(out) == 0 {
		return nil, &exitError{ExitUsage, fmt.Errorf("--env %q: no such environment; expected one of: %s", env, strings.Join(names, ", "))}
	}
	return out, nil
}

func portList(ports []int32) string {
	s := make([]string, len(ports))
	for i, p := range ports {
		s[i] = fmt.Sprint(p)
	}
	return strings.Join(s, ",")
}

// id makes a Mermaid / Graphviz identifier of an endpoint in an
// environment.
func id(env, name string) string {
	r := strings.NewReplacer("-", "_", ".", "_", ":", "__", "/", "_")
	return env + "__" + r.Replace(name)
}

func endpointLabel(endpoint string) string {
	for _, prefix := range []string{"gateway:", "monitoring:", "external:"} {
		if rest, ok := strings.CutPrefix(endpoint, prefix); ok {
			return strings.TrimSuffix(prefix, ":") + " " + rest
		}
	}
	if endpoint == traffic.AWSEndpoint {
		return "AWS APIs"
	}
	return endpoint
}

// endpoints are the nodes outside the teams, in order of first use.
func endpoints(g *traffic.Graph, edges []traffic.Edge) []string {
	seen := map[string]bool{}
	var out []string
	for _, e := range edges {
		for _, n := range []string{e.From, e.To} {
			if g.Node(n) == nil && !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	return out
}

// teams groups the services by team, teams by name.
func teams(g *traffic.Graph) (order []string, members map[string][]string) {
	members = map[string][]string{}
	for _, n := range g.Nodes {
		t := n.Service.Team
		if _, ok := members[t]; !ok {
			order = append(order, t)
		}
		members[t] = append(members[t], n.Service.Name)
	}
	slices.Sort(order)
	return order, members
}

func writeMermaid(w io.Writer, graphs []*traffic.Graph) error {
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	for _, g := range graphs {
		env := g.Env.Name
		edges := g.Edges()
		fmt.Fprintf(&b, "  subgraph %s[\"environment %s\"]\n", id(env, "env"), env)
		order, members := teams(g)
		for _, t := range order {
			fmt.Fprintf(&b, "    subgraph %s[\"team %s\"]\n", id(env, "team-"+t), t)
			for _, s := range members[t] {
				fmt.Fprintf(&b, "      %s[\"%s\"]\n", id(env, s), s)
			}
			b.WriteString("    end\n")
		}
		for _, e := range endpoints(g, edges) {
			switch {
			case strings.HasPrefix(e, "gateway:"):
				fmt.Fprintf(&b, "    %s{{\"%s\"}}\n", id(env, e), endpointLabel(e))
			case strings.HasPrefix(e, "monitoring:"):
				fmt.Fprintf(&b, "    %s([\"%s\"])\n", id(env, e), endpointLabel(e))
			default:
				fmt.Fprintf(&b, "    %s>\"%s\"]\n", id(env, e), endpointLabel(e))
			}
		}
		for _, e := range edges {
			arrow := "-->"
			text := portList(e.Ports)
			switch {
			case e.Cycle:
				arrow, text = "==>", text+" (cycle)"
			case e.Kind == traffic.EdgeScrape:
				arrow, text = "-.->", "metrics "+text
			}
			fmt.Fprintf(&b, "    %s %s|%s| %s\n", id(env, e.From), arrow, text, id(env, e.To))
		}
		b.WriteString("  end\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeDot(w io.Writer, graphs []*traffic.Graph) error {
	var b strings.Builder
	b.WriteString("digraph traffic {\n  rankdir=LR;\n  node [shape=box];\n")
	for _, g := range graphs {
		env := g.Env.Name
		edges := g.Edges()
		fmt.Fprintf(&b, "  subgraph cluster_%s {\n    label=%q;\n", id(env, "env"), "environment "+env)
		order, members := teams(g)
		for _, t := range order {
			fmt.Fprintf(&b, "    subgraph cluster_%s {\n      label=%q;\n", id(env, "team-"+t), "team "+t)
			for _, s := range members[t] {
				fmt.Fprintf(&b, "      %s [label=%q];\n", id(env, s), s)
			}
			b.WriteString("    }\n")
		}
		for _, e := range endpoints(g, edges) {
			shape := "cds"
			switch {
			case strings.HasPrefix(e, "gateway:"):
				shape = "hexagon"
			case strings.HasPrefix(e, "monitoring:"):
				shape = "ellipse"
			}
			fmt.Fprintf(&b, "    %s [label=%q, shape=%s];\n", id(env, e), endpointLabel(e), shape)
		}
		for _, e := range edges {
			attrs := fmt.Sprintf("label=%q", portList(e.Ports))
			switch {
			case e.Cycle:
				attrs = fmt.Sprintf("label=%q, penwidth=3, color=red", portList(e.Ports)+" (cycle)")
			case e.Kind == traffic.EdgeScrape:
				attrs = fmt.Sprintf("label=%q, style=dashed", "metrics "+portList(e.Ports))
			}
			fmt.Fprintf(&b, "    %s -> %s [%s];\n", id(env, e.From), id(env, e.To), attrs)
		}
		b.WriteString("  }\n")
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

type jsonService struct {
	Name      string `json:"name"`
	Team      string `json:"team"`
	Namespace string `json:"namespace"`
}

type jsonEnvironment struct {
	Name     string         `json:"name"`
	Services []jsonService  `json:"services"`
	Edges    []traffic.Edge `json:"edges"`
}

func writeJSON(w io.Writer, graphs []*traffic.Graph) error {
	var out []jsonEnvironment
	for _, g := range graphs {
		je := jsonEnvironment{Name: g.Env.Name, Services: []jsonService{}, Edges: g.Edges()}
		for _, n := range g.Nodes {
			je.Services = append(je.Services, jsonService{n.Service.Name, n.Service.Team, n.Service.Namespace})
		}
		out = append(out, je)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(map[string]any{"environments": out})
}
