//go:build !race

package serialstream_test

const raceEnabled = false
