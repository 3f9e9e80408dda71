package cardtest

import (
	"testing"

	"github.com/quillpost/quillpost/internal/plotsim/simtest"
)

// TestMain fails the run when a sender or simulator goroutine outlives the tests.
func TestMain(m *testing.M) {
	simtest.RunCheckingLeaks(m, "quillpost/internal/plotsim", "quillpost/internal/serialstream")
}
