//go:build !unix

package writer

import "os"

// Elsewhere than Unix, symlinks are still never followed while walking
// (WalkDir does not) and non-regular files are refused after opening, but
// opening itself may follow a symlink, and renders are not locked.
const (
	oNoFollow = 0
	oNonBlock = 0
)

func isSymlinkErr(error) bool { return false }

func tryLock(*os.File, bool) (bool, error) { return false, nil }

func unlock(*os.File) {}
