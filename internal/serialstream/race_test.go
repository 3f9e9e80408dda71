//go:build race

package serialstream_test

// raceEnabled relaxes timing assertions: the race detector slows everything several times over.
const raceEnabled = true
