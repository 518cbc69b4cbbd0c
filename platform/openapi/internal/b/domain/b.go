// Package domain holds another View for the collision test of package openapi.
package domain

// View is the other type named View.
type View struct {
	B int `json:"b"`
}
