//go:build race

package plan_test

// raceOn: see raceEnabled in race_on_test.go.
const raceOn = true
