package cardtest

import (
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestMain fails the run when a sender or simulator goroutine outlives the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		deadline := time.Now().Add(5 * time.Second)
		for {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			var bad []string
			for _, g := range strings.Split(string(buf), "\n\n") {
				if strings.Contains(g, "quillpost/internal/plotsim.") || strings.Contains(g, "quillpost/internal/serialstream.") {
					bad = append(bad, g)
				}
			}
			if len(bad) == 0 {
				break
			}
			if time.Now().After(deadline) {
				os.Stderr.WriteString("goroutines left running after the tests:\n" + strings.Join(bad, "\n\n"))
				code = 1
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	os.Exit(code)
}
