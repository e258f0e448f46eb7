package writer

import (
	"errors"
	"io/fs"
)

// errNotRegular is returned for a symlink, FIFO, socket, device or
// directory where a file was expected.
var errNotRegular = errors.New("not a regular file")

// readRegular reads the regular file at name without following a symlink
// and without blocking on a FIFO: the owned tree is data on disk, and a
// symlink to /dev/zero or a FIFO in it must neither exhaust memory nor hang
// (sys_unix.go, sys_other.go).

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
