//go:build unix

package hand

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time this process has used (user + system): a benchmark figure that other
// processes competing for the same cores do not inflate, unlike wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
