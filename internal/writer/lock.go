package writer

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// LockName is the lock file a render holds in the owned tree while it
// writes. It exists only during a render (or after one was killed: a stale
// file is harmless, as the lock is the flock on it, which the kernel
// releases when the process dies).
const LockName = ".idpgen-lock"

// BusyError is returned when another process holds the tree's lock.
type BusyError struct {
	Dir string
	PID int // 0 when the holder has not written it yet
}

func (e *BusyError) Error() string {
	pid := "pid unknown"
	if e.PID > 0 {
		pid = "pid " + strconv.Itoa(e.PID)
	}
	return fmt.Sprintf("another idpgen render is running on %s (%s); wait for it to finish and run again", e.Dir, pid)
}

// lock is an exclusive flock(2) on LockName, held by one render.
type lock struct {
	f    *os.File
	path string
}

// acquire takes the lock of root without waiting: two renders of different
// platforms must not interleave, and the second one failing at once with
// the first one's pid is clearer than a silent wait.
func acquire(root string) (*lock, error) {
	name := filepath.Join(root, LockName)
	for {
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|oNoFollow, 0o644)
		if err != nil {
			return nil, fmt.Errorf("locking %s: %w", root, err)
		}
		if busy, err := tryLock(f, true); busy || err != nil {
			f.Close()
			if busy {
				return nil, &BusyError{Dir: root, PID: holder(name)}
			}
			return nil, fmt.Errorf("locking %s: %w", root, err)
		}
		// The previous holder removes the file as it unlocks: if this is
		// no longer the file at name, the lock guards nothing; try again.
		held, err1 := f.Stat()
		now, err2 := os.Lstat(name)
		if err1 != nil || err2 != nil || !os.SameFile(held, now) {
			f.Close()
			continue
		}
		if err := f.Truncate(0); err == nil {
			f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
		}
		return &lock{f: f, path: name}, nil
	}
}

// release removes the lock file, then unlocks (closing the descriptor).
func (l *lock) release() {
	os.Remove(l.path)
	l.f.Close()
}

// holder is the pid the holder of the lock file at name wrote, or 0.
func holder(name string) int {
	b, err := readRegular(name)
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

// busy reports a render in progress on root without creating anything:
// render --check and diff read the tree without a lock (they never write,
// not even a lock file, and a reader must not make a CI render fail), but
// they refuse to compare a tree that a render is writing at that moment.
func busy(root string) error {
	name := filepath.Join(root, LockName)
	f, err := os.OpenFile(name, os.O_RDONLY|oNoFollow|oNonBlock, 0)
	if err != nil {
		return nil // no lock file (or not one a render could hold): no render
	}
	defer f.Close()
	if busy, err := tryLock(f, false); busy {
		return &BusyError{Dir: root, PID: holder(name)}
	} else if err == nil {
		unlock(f)
	}
	return nil
}
