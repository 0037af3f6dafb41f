//go:build race

package convert

func init() { raceDetectorInternal = true }
