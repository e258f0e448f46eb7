package writer

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// errNotRegular is returned for a symlink, FIFO, socket, device or
// directory where a file was expected.
var errNotRegular = errors.New("not a regular file")

// readRegular reads the regular file at name without following a symlink
// and without blocking on a FIFO: the owned tree is data on disk, and a
// symlink to /dev/zero or a FIFO in it must neither exhaust memory nor hang.
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

func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }

// kindOf names a file type for messages.
func kindOf(m fs.FileMode) string {
	switch t := m.Type(); {
	case t&fs.ModeSymlink != 0:
		return "a symlink"
	case t&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case t&fs.ModeSocket != 0:
		return "a socket"
	case t&fs.ModeDevice != 0:
		return "a device"
	case t&fs.ModeDir != 0:
		return "a directory"
	case t.IsRegular():
		return "a regular file"
	}
	return "not a regular file"
}
