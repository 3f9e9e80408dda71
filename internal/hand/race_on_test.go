//go:build race

package hand

// raceEnabled: the race detector slows code ~10×, so timing tests stand down.
const raceEnabled = true
