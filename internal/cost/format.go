package cost

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Formats of Write.
const (
	FormatTable    = "table"
	FormatMarkdown = "markdown"
	FormatJSON     = "json"
)

// Header says what the numbers are.
func (r *Report) Header() string {
	return fmt.Sprintf("Monthly estimate in USD (%d hours a month) from the model's requests and replicas. EC2 prices: Linux on-demand in the environment's region, spot at the region's median savings, from %s (%s). Other prices: the sources below. Usage (GB processed, NLCU-hours, KMS requests) is counted as 0; its unit price is in the line's note.",
		r.HoursPerMonth, r.DataSource, r.DataDate)
}

// source is one line about a price and where it comes from.
func (p Price) source() string {
	where := "every region"
	if p.Assumed {
		where = "US East, assumed for every region"
	}
	by := "third party"
	if p.ByAWS {
		by = "AWS"
	}
	return fmt.Sprintf("%s: $%s per %s (%s); %s (%s; page: %s; read %s). %s",
		p.Item, strconv.FormatFloat(p.USD, 'f', -1, 64), p.Unit, where, p.Source, by, p.PageDate, p.Read, p.Note)
}

// Write prints the report in format.
func (r *Report) Write(w io.Writer, format string) error {
	switch format {
	case FormatJSON:
		return writeJSON(w, r)
	case FormatMarkdown:
		return r.markdown(w)
	}
	return r.table(w)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func usd(x float64) string { return strconv.FormatFloat(x, 'f', 2, 64) }

func (l Line) cells() (monthly, max string) {
	if !l.Priced() {
		return "not priced", ""
	}
	return usd(l.Monthly), usd(l.MonthlyMax)
}

func (r *Report) table(w io.Writer) error {
	fmt.Fprintln(w, r.Header())
	for _, e := range r.Environments {
		fmt.Fprintf(w, "\n%s (%s, %s)\n", e.Name, e.Region, e.Tier)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ITEM\tDETAIL\tQTY\tMAX\tUSD/MONTH\tAT MAX\tNOTE")
		for _, l := range e.Lines {
			m, mx := l.cells()
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\t%s\n", l.Item, l.Detail, l.Quantity, l.MaxQty, m, mx, l.Note)
		}
		fmt.Fprintf(tw, "total\t\t\t\t%s\t%s\t\n", usd(e.Monthly), usd(e.MonthlyMax))
		if len(e.Services) > 0 {
			fmt.Fprintln(tw, "\t\t\t\t\t\t")
			fmt.Fprintln(tw, "SERVICE\tPOOL\tREPLICAS\tMAX\tUSD/MONTH\tAT MAX\t")
			for _, s := range e.Services {
				fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\t\n", s.Name, s.Pool, s.Replicas, s.MaxReplica, usd(s.Monthly), usd(s.MonthlyMax))
			}
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	fmt.Fprintln(w, "\nSources:")
	for _, p := range r.Prices {
		fmt.Fprintln(w, "  "+p.source())
	}
	return nil
}

// mdCell escapes a table cell.
func mdCell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

func (r *Report) markdown(w io.Writer) error {
	fmt.Fprintf(w, "%s\n", r.Header())
	for _, e := range r.Environments {
		fmt.Fprintf(w, "\n### %s (%s, %s)\n\n", e.Name, e.Region, e.Tier)
		fmt.Fprintln(w, "| item | detail | qty | max | USD/month | at max | note |")
		fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---|")
		for _, l := range e.Lines {
			m, mx := l.cells()
			fmt.Fprintf(w, "| %s | %s | %d | %d | %s | %s | %s |\n", mdCell(l.Item), mdCell(l.Detail), l.Quantity, l.MaxQty, m, mx, mdCell(l.Note))
		}
		fmt.Fprintf(w, "| **total** | | | | **%s** | **%s** | |\n", usd(e.Monthly), usd(e.MonthlyMax))
		if len(e.Services) > 0 {
			fmt.Fprintln(w, "\n| service | pool | replicas | max | USD/month | at max |")
			fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|")
			for _, s := range e.Services {
				fmt.Fprintf(w, "| %s | %s | %d | %d | %s | %s |\n", s.Name, s.Pool, s.Replicas, s.MaxReplica, usd(s.Monthly), usd(s.MonthlyMax))
			}
		}
	}
	fmt.Fprintln(w, "\nSources:")
	for _, p := range r.Prices {
		fmt.Fprintln(w, "- "+mdCell(p.source()))
	}
	return nil
}
