package cli

import (
	"bufio"
	"bytes"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
)

// hugePageHeap is how much of the heap preferHugePages asks to be backed by
// 2 MB pages: as much as the soft memory limit lets the heap hold. No more:
// a 2 MB page counts whole in the resident set once any of it is touched,
// so the advised range bounds how far that can inflate it (with a 1 GiB
// range some renders peaked at 1.1 GiB, over the 1 GiB budget).
const hugePageHeap = memoryLimit

// madvHugepage is MADV_HUGEPAGE, which package syscall does not name.
const madvHugepage = 14

// preferHugePages asks Linux to back the first 768 MiB of the heap with
// transparent huge pages. A render touches every page of a heap that grows
// to hundreds of megabytes once, and with 4 KB pages that is a page fault
// per page: 105,000 in a no-op render --check at 1000 x 4, a third of its
// CPU on the benchmark VM (a fault is dear under a hypervisor with kernel
// page-table isolation). With 2 MB pages it makes 7,000, and the check
// took 2.3 s instead of 3.1 s, side by side; a render about a quarter
// less, at the same peak RSS.
//
// Go's runtime no longer advises its heap itself (see the runtime's
// GODEBUG disablethp and go.dev/issue/64332), so on a kernel whose THP
// mode is "madvise", the common default, the heap gets 4 KB pages. The runtime maps the heap as it grows and reuses the
// lowest free addresses first, so this allocates one large object (fresh
// memory: allocating it touches no page), advises its range, and frees it:
// the allocations that follow land in the advised range. Where THP is
// "never" the advice does nothing; GODEBUG=disablethp=1, the runtime's own
// switch, turns this off too. See go.dev/doc/gc-guide#Linux_transparent_huge_pages.
func preferHugePages() {
	if strings.Contains(os.Getenv("GODEBUG"), "disablethp=1") {
		return
	}
	n := heapToAdvise()
	if n == 0 {
		return
	}
	// The runtime zeroes a new object when any of its pages were used
	// before and are not known to be zero: zeroing 768 MiB touches every
	// page this is meant to spare, and it did in about one process start
	// in eighty (spans freed by a collection while the packages were
	// initialised). Pages returned to the operating system are known to
	// be zero, so first return every free page: one start in 700 was
	// still zeroed in a test of 700 (then the start costs about 0.3 s
	// more and the resident set peaks near 850 MiB until the object is
	// returned below, within the 1 GiB budget).
	debug.FreeOSMemory()
	b := make([]byte, n)
	_ = syscall.Madvise(b, madvHugepage) // best effort: no THP, no advice
	b = nil
	// Free it while the heap is nearly empty (a millisecond), and return
	// its untouched pages at once: kept, they count against the soft
	// memory limit, and the collector would run to make room.
	debug.FreeOSMemory()
}

// heapToAdvise is hugePageHeap, or less on a small machine: the runtime
// cannot recover if mapping the object fails, so it stays within a quarter
// of the machine's memory, and is 0 (nothing is advised) when the kernel
// refuses to overcommit memory at all.
func heapToAdvise() int {
	if mode, err := os.ReadFile("/proc/sys/vm/overcommit_memory"); err != nil || string(bytes.TrimSpace(mode)) == "2" {
		return 0
	}
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		// MemTotal:       24683548 kB
		fields := strings.Fields(s.Text())
		if len(fields) == 3 && fields[0] == "MemTotal:" && fields[2] == "kB" {
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			if err != nil {
				return 0
			}
			return int(min(hugePageHeap, kb<<10/4))
		}
	}
	return 0
}
