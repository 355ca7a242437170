//go:build unix

package main

import (
	"syscall"
	"time"
)

// processCPU is the user and system time the process used so far: the
// kernel's cost in timing.json, which a loaded machine changes less than
// its wall time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
