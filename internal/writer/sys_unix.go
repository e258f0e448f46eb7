//go:build unix

package writer

import (
	"errors"
	"os"
	"syscall"
)

// Never follow a symlink at the last element; never block opening a FIFO.
const (
	oNoFollow = syscall.O_NOFOLLOW
	oNonBlock = syscall.O_NONBLOCK
)

// isSymlinkErr reports the error of opening a symlink with oNoFollow.
func isSymlinkErr(err error) bool { return errors.Is(err, syscall.ELOOP) }

// tryLock takes an flock(2) without waiting; busy reports that another
// open file description holds a conflicting one.
func tryLock(f *os.File, exclusive bool) (busy bool, err error) {
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	err = syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return true, nil
	}
	return false, err
}

func unlock(f *os.File) { syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }
