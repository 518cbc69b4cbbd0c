// Package domain holds the customer service's business rules, free of storage
// and transport: what a valid customer and contact are, which lifecycle
// transitions are allowed, how names are normalised for duplicate detection,
// how a customer's value score is computed and how the ABC rule classifies a
// value-ordered population.
//
// Errors are *apperr.Error sentinels so the HTTP port can map them in one place.
package domain
