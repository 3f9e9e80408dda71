//go:build race

package plan

// raceEnabled: the race detector slows the optimiser ~10×, and the optimiser runs on one
// goroutine, so the tests that optimise the whole card corpus stand down under it.
const raceEnabled = true
