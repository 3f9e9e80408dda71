//go:build unix

package plan

import (
	"syscall"
	"time"
)

// cpuTime returns the CPU time this process has used: on a machine shared with other jobs it
// measures the work better than the wall clock does.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
