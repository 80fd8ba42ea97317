package loaders

// Forget drops everything the loaders cached, so that what a mutation wrote
// is read afresh by the fields selected on its payload, and by any later
// field of the same request.
func (l *Loaders) Forget() {
	l.ShopByOwner.ClearAll()
	l.ShopByID.ClearAll()
	l.FeaturedProducts.ClearAll()
	l.ProductByID.ClearAll()
	l.ProductPage.ClearAll()
	l.ProductCount.ClearAll()
}
