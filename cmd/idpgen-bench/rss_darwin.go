package main

import (
	"os"
	"syscall"
)

// peakRSS is the process's peak resident set in bytes (macOS reports
// bytes).
func peakRSS(ps *os.ProcessState) int64 {
	return ps.SysUsage().(*syscall.Rusage).Maxrss
}
