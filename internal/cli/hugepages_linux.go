package cli

import (
	"bufio"
	"bytes"
	"os"
	"runtime/debug"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// hugePageHeap is how much of the heap preferHugePages asks to be backed by
// 2 MB pages: as much as the soft memory limit lets the heap hold. No more:
// a 2 MB page counts whole in the resident set once any of it is touched,
// so the advised range bounds how far that can inflate it (with a 1 GiB
// range some renders peaked at 1.1 GiB, over the 1 GiB budget).
const hugePageHeap = memoryLimit

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
// switch, turns this off too.
// See go.dev/doc/gc-guide#Linux_transparent_huge_pages.
func preferHugePages() {
	if v, set := godebug("disablethp"); set && v != "0" {
		return // the runtime's switch: any value but 0 turns THP off
	}
	if v, set := godebug("madvdontneed"); set && v == "0" {
		// Returned pages are then not known to be zero (MADV_FREE), and
		// the runtime would zero the whole range below.
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
	_ = unix.Madvise(b, unix.MADV_HUGEPAGE) // best effort: no THP, no advice
	// Free it while the heap is nearly empty (a millisecond), and return
	// its untouched pages at once: kept, they count against the soft
	// memory limit, and the collector would run to make room.
	debug.FreeOSMemory()
}

// heapToAdvise is hugePageHeap, or less, or 0 (nothing is advised): the
// runtime cannot recover if mapping the object fails, and if it ever
// zeroes it, its pages are resident until it is returned. So nothing is
// advised on a 32-bit system (768 MiB is a large share of its address
// space), under an address-space limit (ulimit -v), or where the kernel
// refuses to overcommit memory; and no more than a quarter of the
// machine's memory or of the cgroup's memory limit.
func heapToAdvise() int {
	if strconv.IntSize < 64 {
		return 0
	}
	var as unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_AS, &as); err != nil || as.Cur != unix.RLIM_INFINITY {
		return 0
	}
	if mode, err := os.ReadFile("/proc/sys/vm/overcommit_memory"); err != nil || string(bytes.TrimSpace(mode)) == "2" {
		return 0
	}
	total := memTotal()
	if total == 0 {
		return 0
	}
	if limit := cgroupMemoryLimit(); limit > 0 {
		total = min(total, limit)
	}
	return int(min(hugePageHeap, total/4))
}

// memTotal is MemTotal of /proc/meminfo in bytes, or 0.
func memTotal() int64 {
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
			return kb << 10
		}
	}
	return 0
}

// cgroupMemoryLimit is the memory limit of the process's cgroup in bytes
// (cgroup v2 memory.max, or v1 memory.limit_in_bytes, as a container
// sees them), or 0 for none or unknown.
func cgroupMemoryLimit() int64 {
	for _, name := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		data, err := os.ReadFile(name)
		if err != nil {
			continue
		}
		// "max" (v2) or a huge number (v1) when unlimited.
		if n, err := strconv.ParseInt(string(bytes.TrimSpace(data)), 10, 64); err == nil && n > 0 && n < 1<<50 {
			return n
		}
		return 0
	}
	return 0
}

// godebug is the value GODEBUG sets for key, and whether it sets it; the
// last setting wins, as in the runtime.
func godebug(key string) (value string, set bool) {
	for kv := range strings.SplitSeq(os.Getenv("GODEBUG"), ",") {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			value, set = v, true
		}
	}
	return value, set
}
