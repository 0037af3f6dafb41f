package convert

// SetExpansionFloor lowers the size past which the expansion ratio is held,
// so tests see a bomb without writing a gigabyte; it returns the undo.
func SetExpansionFloor(n int64) func() {
	old := expansionFloor
	expansionFloor = n
	return func() { expansionFloor = old }
}

// SetStreamHeld lowers what a stream may hold in memory until its end; it
// returns the undo.
func SetStreamHeld(n int64) func() {
	old := maxStreamHeld
	maxStreamHeld = n
	return func() { maxStreamHeld = old }
}

// SetPipelined has every blob written into a placed sink read ahead and
// written behind by goroutines of their own, as the last blobs are when a
// core would idle; it returns the undo.
func SetPipelined() func() {
	alwaysPipelined = true
	return func() { alwaysPipelined = false }
}
