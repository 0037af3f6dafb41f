//go:build race

package tarfs_test

func init() { raceDetector = true }
