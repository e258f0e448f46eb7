//go:build !unix

package writer

import (
	"bytes"
	"fmt"
	"os"
)

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

func readRegular(name string) ([]byte, error) {
	f, err := os.OpenFile(name, os.O_RDONLY|oNoFollow|oNonBlock, 0)
	if err != nil {
		if isSymlinkErr(err) {
			return nil, fmt.Errorf("%s: %w (a symlink)", name, errNotRegular)
		}
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %w (%s)", name, errNotRegular, kindOf(info.Mode()))
	}
	var buf bytes.Buffer
	buf.Grow(int(info.Size()) + bytes.MinRead)
	if _, err := buf.ReadFrom(f); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func createExcl(name string, data []byte) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL|oNoFollow, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func rename(oldname, newname string) error { return os.Rename(oldname, newname) }
