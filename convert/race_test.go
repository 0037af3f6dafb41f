//go:build race

package convert_test

func init() { raceDetector = true }
