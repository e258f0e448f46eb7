package cost

import (
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
)

// Delta compares two reports: the base (another revision) and the head.
type Delta struct {
	Base         string             `json:"base"` // the revision compared with
	Environments []EnvironmentDelta `json:"environments"`
}

// EnvironmentDelta is one environment's change. An environment only in one
// report has zeros in the other.
type EnvironmentDelta struct {
	Name     string         `json:"name"`
	Base     float64        `json:"baseMonthlyUSD"`
	Head     float64        `json:"headMonthlyUSD"`
	BaseMax  float64        `json:"baseMonthlyMaxUSD"`
	HeadMax  float64        `json:"headMonthlyMaxUSD"`
	Services []ServiceDelta `json:"services"` // only those whose cost changed
}

// ServiceDelta is one service's change in one environment.
type ServiceDelta struct {
	Name    string  `json:"name"`
	Base    float64 `json:"baseMonthlyUSD"`
	Head    float64 `json:"headMonthlyUSD"`
	BaseMax float64 `json:"baseMonthlyMaxUSD"`
	HeadMax float64 `json:"headMonthlyMaxUSD"`
}

// Compare returns the change from base to head, environments in head's
// order then those only in base; services by name.
func Compare(baseRev string, base, head *Report) *Delta {
	d := &Delta{Base: baseRev}
	baseEnvs := map[string]Environment{}
	for _, e := range base.Environments {
		baseEnvs[e.Name] = e
	}
	seen := map[string]bool{}
	add := func(b, h Environment, name string) {
		ed := EnvironmentDelta{Name: name, Base: b.Monthly, Head: h.Monthly, BaseMax: b.MonthlyMax, HeadMax: h.MonthlyMax}
		bs := map[string]Service{}
		for _, s := range b.Services {
			bs[s.Name] = s
		}
		var names []string
		hs := map[string]Service{}
		for _, s := range h.Services {
			hs[s.Name] = s
			names = append(names, s.Name)
		}
		for _, s := range b.Services {
			if _, ok := hs[s.Name]; !ok {
				names = append(names, s.Name)
			}
		}
		slices.Sort(names)
		for _, n := range names {
			x, y := bs[n], hs[n]
			if x.Monthly != y.Monthly || x.MonthlyMax != y.MonthlyMax {
				ed.Services = append(ed.Services, ServiceDelta{n, x.Monthly, y.Monthly, x.MonthlyMax, y.MonthlyMax})
			}
		}
		d.Environments = append(d.Environments, ed)
	}
	for _, h := range head.Environments {
		seen[h.Name] = true
		add(baseEnvs[h.Name], h, h.Name)
	}
	for _, b := range base.Environments {
		if !seen[b.Name] {
			add(b, Environment{}, b.Name)
		}
	}
	return d
}

func signed(x float64) string {
	x = cents(x)
	if x > 0 {
		return "+" + usd(x)
	}
	return usd(x)
}

// Write prints the delta in format.
func (d *Delta) Write(w io.Writer, format string) error {
	switch format {
	case FormatJSON:
		return writeJSON(w, d)
	case FormatMarkdown:
		fmt.Fprintf(w, "### Estimated monthly cost change against %s (USD)\n\n", mdCell(d.Base))
		fmt.Fprintln(w, "| environment | base | head | change | at max: base | head | change |")
		fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|")
		for _, e := range d.Environments {
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s |\n", e.Name, usd(e.Base), usd(e.Head), signed(e.Head-e.Base), usd(e.BaseMax), usd(e.HeadMax), signed(e.HeadMax-e.BaseMax))
		}
		for _, e := range d.Environments {
			if len(e.Services) == 0 {
				continue
			}
			fmt.Fprintf(w, "\n#### %s: services\n\n", e.Name)
			fmt.Fprintln(w, "| service | base | head | change | at max: base | head | change |")
			fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|")
			for _, s := range e.Services {
				fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s |\n", s.Name, usd(s.Base), usd(s.Head), signed(s.Head-s.Base), usd(s.BaseMax), usd(s.HeadMax), signed(s.HeadMax-s.BaseMax))
			}
		}
		return nil
	}
	fmt.Fprintf(w, "Estimated monthly cost change against %s (USD)\n", d.Base)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ENVIRONMENT\tSERVICE\tBASE\tHEAD\tCHANGE\tMAX BASE\tMAX HEAD\tCHANGE\t")
	for _, e := range d.Environments {
		fmt.Fprintf(tw, "%s\t\t%s\t%s\t%s\t%s\t%s\t%s\t\n", e.Name, usd(e.Base), usd(e.Head), signed(e.Head-e.Base), usd(e.BaseMax), usd(e.HeadMax), signed(e.HeadMax-e.BaseMax))
		for _, s := range e.Services {
			fmt.Fprintf(tw, "\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", s.Name, usd(s.Base), usd(s.Head), signed(s.Head-s.Base), usd(s.BaseMax), usd(s.HeadMax), signed(s.HeadMax-s.BaseMax))
		}
	}
	return tw.Flush()
}
