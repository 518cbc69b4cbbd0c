// Package app holds a View for the collision test of package openapi.
package app

// View is one of two types named View.
type View struct {
	A string `json:"a"`
}
