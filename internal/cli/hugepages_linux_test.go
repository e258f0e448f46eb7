package cli

import (
	"bufio"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// After preferHugePages, the heap's next allocations land in memory the
// kernel was told to back with huge pages: the mapping holding them carries
// the "hg" (MADV_HUGEPAGE) flag in /proc/self/smaps. The test binary's heap
// already has free pages below the advised range, so it allocates half the
// range (a render allocates several times that) and wants nearly all of it
// there.
func TestPreferHugePagesAdvisesTheHeap(t *testing.T) {
	n := heapToAdvise()
	if n == 0 {
		t.Skip("nothing is advised on this machine (32-bit, an address-space limit, strict overcommit or little memory)")
	}
	if _, err := os.Stat("/sys/kernel/mm/transparent_hugepage/enabled"); err != nil {
		t.Skip("no transparent huge pages in this kernel")
	}
	t.Setenv("GODEBUG", "")
	preferHugePages()
	chunks := min(256, n>>20/2)
	var held [][]byte
	advised := 0
	for range chunks {
		b := make([]byte, 1<<20) // a large object: its own span, from the page heap
		held = append(held, b)
		if flags := vmFlags(t, uintptr(unsafe.Pointer(&b[0]))); strings.Contains(" "+flags+" ", " hg ") {
			advised++
		}
	}
	runtime.KeepAlive(held)
	if advised < chunks*9/10 {
		t.Errorf("%d of %d MiB allocated after preferHugePages are in mappings advised MADV_HUGEPAGE, want at least 90%%", advised, chunks)
	}
}

func TestHeapToAdviseStaysWithinTheMachine(t *testing.T) {
	n := heapToAdvise()
	if n == 0 {
		t.Skip("nothing is advised on this machine")
	}
	if n > hugePageHeap {
		t.Errorf("heapToAdvise() = %d, more than %d", n, hugePageHeap)
	}
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "MemTotal:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			if int64(n) > kb<<10/4 {
				t.Errorf("heapToAdvise() = %d, more than a quarter of MemTotal (%d kB)", n, kb)
			}
		}
	}
}

func TestGODEBUGLastSettingWins(t *testing.T) {
	for _, tc := range []struct {
		env, value string
		set        bool
	}{
		{"", "", false},
		{"madvdontneed=1", "", false},
		{"disablethp=1", "1", true},
		{"disablethp=2", "2", true},
		{"disablethp=1,disablethp=0", "0", true},
		{"x=1,disablethp=0,y=2", "0", true},
		{"xdisablethp=1", "", false},
	} {
		t.Setenv("GODEBUG", tc.env)
		if v, set := godebug("disablethp"); v != tc.value || set != tc.set {
			t.Errorf("GODEBUG=%q: godebug(disablethp) = %q, %v; want %q, %v", tc.env, v, set, tc.value, tc.set)
		}
	}
}

// vmFlags is the VmFlags line of the mapping that holds addr.
func vmFlags(t *testing.T, addr uintptr) string {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	in := false
	for s.Scan() {
		line := s.Text()
		if lo, hi, ok := mappingRange(line); ok {
			in = lo <= addr && addr < hi
			continue
		}
		if in {
			if rest, ok := strings.CutPrefix(line, "VmFlags:"); ok {
				return strings.TrimSpace(rest)
			}
		}
	}
	t.Skipf("/proc/self/smaps shows no VmFlags for the mapping of %#x", addr)
	return ""
}

// mappingRange parses the first line of a mapping in smaps,
// "c000000000-c004000000 rw-p 00000000 00:00 0".
func mappingRange(line string) (lo, hi uintptr, ok bool) {
	r, _, found := strings.Cut(line, " ")
	a, b, dash := strings.Cut(r, "-")
	if !found || !dash {
		return 0, 0, false
	}
	l, err1 := strconv.ParseUint(a, 16, 64)
	h, err2 := strconv.ParseUint(b, 16, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	return uintptr(l), uintptr(h), true
}
