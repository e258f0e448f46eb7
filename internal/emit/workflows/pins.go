package workflows

import "fmt"

// pin is a third-party action at a full commit SHA, with the release tag the
// SHA is (written after it as a comment, which Renovate and Dependabot
// update together with the SHA).
type pin struct {
	action  string // owner/name
	sha     string // 40 hex digits
	version string // the tag
}

func (p pin) String() string { return fmt.Sprintf("%s@%s # %s", p.action, p.sha, p.version) }

// Every action the workflows use. Source of each SHA: the action's own
// repository on GitHub, read from a mirror of it with
// `git rev-parse <tag>^{commit}` (the newest release tag there, commit date
// in parentheses). Never a SHA from elsewhere: to bump one, read it the
// same way (or let Renovate/Dependabot do it) and update the golden files.
var (
	checkout = pin{"actions/checkout", "3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1"}                      // (2026-07-17)
	setupGo  = pin{"actions/setup-go", "b7ad1dad31e06c5925ef5d2fc7ad053ef454303e", "v7.0.0"}                      // (2026-07-15)
	awsCreds = pin{"aws-actions/configure-aws-credentials", "e6de054238d6b7531b4efff3b6587d9aade6a06c", "v6.2.3"} // (2026-07-22)
	setupTF  = pin{"hashicorp/setup-terraform", "dfe3c3f87815947d99a8997f908cb6525fc44e9e", "v4.0.1"}             // (2026-05-12)
	upload   = pin{"actions/upload-artifact", "bbbca2ddaa5d8feaa63e36b76fdaad77386f024f", "v7.0.0"}               // (2026-02-25)
	download = pin{"actions/download-artifact", "3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c", "v8.0.1"}             // (2026-03-11)
	script   = pin{"actions/github-script", "ed597411d8f924073f98dfc5c65a23a2325f34cd", "v8.0.0"}                 // (2025-09-04)
)

// Pins lists every pinned action (for tests).
func Pins() []string {
	var out []string
	for _, p := range []pin{checkout, setupGo, awsCreds, setupTF, upload, download, script} {
		out = append(out, p.String())
	}
	return out
}
