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
