//go:build unix

package writer

import (
	"errors"
	"fmt"
	"io/fs"
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

// The tree's files are read, created and renamed with plain system calls:
// an os.File registers every file with the runtime's poller and sets its
// flags (five fcntl and epoll_ctl calls), and os.Rename stats the target
// first. For the 22,000 files of a render at 1000 services that was six
// of every eleven system calls, and on this VM a system call is costly.

func readRegular(name string) ([]byte, error) {
	fd, err := openFile(name, syscall.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, fmt.Errorf("%s: %w (a symlink)", name, errNotRegular)
		}
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if err := ignoringEINTR(func() error { return syscall.Fstat(fd, &st) }); err != nil {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: err}
	}
	if mode := fileMode(uint32(st.Mode)); !mode.IsRegular() {
		return nil, fmt.Errorf("%s: %w (%s)", name, errNotRegular, kindOf(mode))
	}
	// One byte more than its size: a file that grew since the stat is
	// read on to its end.
	buf := make([]byte, 0, st.Size+1)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)] // it grew since the stat
		}
		var n int
		err := ignoringEINTR(func() (err error) {
			n, err = syscall.Read(fd, buf[len(buf):cap(buf)])
			return err
		})
		if err != nil {
			return nil, &fs.PathError{Op: "read", Path: name, Err: err}
		}
		if n == 0 {
			return buf, nil
		}
		buf = buf[:len(buf)+n]
		if int64(len(buf)) == st.Size {
			// All of it, as fstat said: the read that would find the
			// end is one system call of five per file. (A file that
			// grows meanwhile is a race whichever read comes last.)
			return buf, nil
		}
	}
}

// createExcl creates name, which must not exist (never through a
// symlink), and writes data into it.
func createExcl(name string, data []byte) error {
	fd, err := openFile(name, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_EXCL|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0o644)
	if err != nil {
		return &fs.PathError{Op: "open", Path: name, Err: err}
	}
	for len(data) > 0 {
		var n int
		err := ignoringEINTR(func() (err error) {
			n, err = syscall.Write(fd, data)
			return err
		})
		if err != nil {
			syscall.Close(fd)
			return &fs.PathError{Op: "write", Path: name, Err: err}
		}
		data = data[n:]
	}
	if err := syscall.Close(fd); err != nil {
		return &fs.PathError{Op: "close", Path: name, Err: err}
	}
	return nil
}

// rename is rename(2): a file renamed onto a directory fails (EISDIR), as
// os.Rename makes it.
func rename(oldname, newname string) error {
	if err := ignoringEINTR(func() error { return syscall.Rename(oldname, newname) }); err != nil {
		return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: err}
	}
	return nil
}

func openFile(name string, flags int, perm uint32) (fd int, err error) {
	err = ignoringEINTR(func() (err error) {
		fd, err = syscall.Open(name, flags, perm)
		return err
	})
	return fd, err
}

func ignoringEINTR(f func() error) error {
	for {
		if err := f(); err != syscall.EINTR {
			return err
		}
	}
}

// fileMode is the type part of a stat mode, as io/fs spells it.
func fileMode(m uint32) fs.FileMode {
	switch m & syscall.S_IFMT {
	case syscall.S_IFREG:
		return 0
	case syscall.S_IFDIR:
		return fs.ModeDir
	case syscall.S_IFLNK:
		return fs.ModeSymlink
	case syscall.S_IFIFO:
		return fs.ModeNamedPipe
	case syscall.S_IFSOCK:
		return fs.ModeSocket
	case syscall.S_IFCHR:
		return fs.ModeDevice | fs.ModeCharDevice
	case syscall.S_IFBLK:
		return fs.ModeDevice
	}
	return fs.ModeIrregular
}
