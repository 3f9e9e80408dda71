//go:build race

package program

// raceEnabled: the race detector slows the optimiser ~10×; the throughput figures stand down.
const raceEnabled = true
