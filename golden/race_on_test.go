//go:build race

package golden_test

// raceEnabled: the race detector is on, and slows the big conversions down
// enough that the sweep leaves the largest inputs to the run without it.
const raceEnabled = true
