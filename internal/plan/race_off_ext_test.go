//go:build !race

package plan_test

const raceOn = false
