package main

import (
	"os"
	"syscall"
)

// peakRSS is the process's peak resident set in bytes (Linux reports
// kilobytes).
func peakRSS(ps *os.ProcessState) int64 {
	return ps.SysUsage().(*syscall.Rusage).Maxrss * 1024
}
