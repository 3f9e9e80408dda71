package simtest

import (
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// RunCheckingLeaks runs a package's tests and fails the run when a goroutine of one of the named
// packages (import paths, such as "quillpost/internal/plotsim") is still running 5 s after the
// last test: a simulator or sender that does not stop would hold a worker's serial port forever.
// Call it from TestMain.
func RunCheckingLeaks(m *testing.M, packages ...string) {
	code := m.Run()
	if code == 0 {
		if leaked := leakedGoroutines(5*time.Second, packages); leaked != "" {
			os.Stderr.WriteString("goroutines left running after the tests:\n" + leaked)
			code = 1
		}
	}
	os.Exit(code)
}

func leakedGoroutines(wait time.Duration, packages []string) string {
	deadline := time.Now().Add(wait)
	for {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		var bad []string
		for _, g := range strings.Split(string(buf), "\n\n") {
			for _, p := range packages {
				if strings.Contains(g, p+".") {
					bad = append(bad, g)
					break
				}
			}
		}
		if len(bad) == 0 || time.Now().After(deadline) {
			return strings.Join(bad, "\n\n")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
