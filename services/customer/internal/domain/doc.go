// Package domain holds the customer service's business rules, free of storage
// and transport: what a valid customer and contact are, which lifecycle
// transitions are allowed, how names and tax ids become duplicate keys that
// Unicode disguises cannot split (normalize.go), who may own a customer and in
// which stage each role may create one (owners.go), who the people of a team
// are and who may read them (people.go), what a duplicate refusal
// may reveal to whom (errors.go), how a customer's value score is computed and
// how the ABC rule classifies a value-ordered population, for real or as a
// trial (abc.go), what a customer's record keeps of its loss and what a
// lifecycle change may say about it (lost.go), and which customers a
// campaign's segment filter means (segment.go).
//
// Errors are *apperr.Error sentinels so the HTTP port can map them in one place.
package domain
