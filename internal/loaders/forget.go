package loaders

// Forget drops everything the loaders cached, so that what a mutation wrote
// is read afresh by the fields selected on its payload, and by any later
// field of the same request. It clears every loader New made: each one
// registers itself when made (newLoader), so a loader added later cannot be
// left out.
func (l *Loaders) Forget() {
	for _, c := range l.clears {
		c.ClearAll()
	}
}
