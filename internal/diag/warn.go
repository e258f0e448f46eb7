package diag

import (
	"fmt"
	"io"
	"strings"
)

// PrintWarnings writes problems that do not stop the command (policy
// violations in a warn or dryrun environment): "warning: " and the entry
// (text), or ::warning workflow annotations (github). All are printed: a
// warning someone cannot see is no warning.
func PrintWarnings(w io.Writer, err error, format Format) {
	for _, e := range Entries(err) {
		if format == GitHub {
			fmt.Fprintln(w, "::warning "+strings.TrimPrefix(annotation(e), "::error "))
			continue
		}
		fmt.Fprintln(w, "warning: "+e.String())
	}
}
