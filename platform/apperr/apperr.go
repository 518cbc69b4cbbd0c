// Package apperr holds the typed errors every Closeloop service returns from its
// domain and application layers. One place (httpx.WriteError) maps them to HTTP
// status codes and the single error body shape {code, message, details}; nothing
// else in the code base decides a status code from an error.
//
// A Kind says what went wrong in terms a client can act on; Code is a stable,
// machine-readable string (snake_case) that clients may switch on; Message is for
// people. Field-level problems go in Fields.
package apperr

import (
	"errors"
	"fmt"
)

// Kind classifies an error for clients. Each Kind maps to exactly one HTTP status.
type Kind int

const (
	// KindInternal is an unexpected failure; its details are never shown to clients.
	KindInternal Kind = iota
	// KindInvalid: the request is malformed (bad JSON, unknown field, wrong type). 400.
	KindInvalid
	// KindUnauthenticated: no valid credentials. 401.
	KindUnauthenticated
	// KindForbidden: authenticated but the role lacks the permission. 403.
	KindForbidden
	// KindNotFound: no such resource, or one the caller may not see. 404.
	KindNotFound
	// KindConflict: the request clashes with existing state (duplicate, idempotency key reuse). 409.
	KindConflict
	// KindRule: the request is well-formed but breaks a business rule (validation,
	// forbidden transition, cycle). 422.
	KindRule
	// KindTooLarge: the request body exceeds the limit. 413.
	KindTooLarge
	// KindUnavailable: a dependency is down; the client may retry. 503.
	KindUnavailable
	// KindMethodNotAllowed: the route exists but not for this method. 405.
	KindMethodNotAllowed
	// KindTooManyRequests: the caller went over a rate limit; it may retry
	// after the Retry-After header's seconds. 429.
	KindTooManyRequests
)

// FieldError names one offending field (JSON path, e.g. "contacts[0].email").
type FieldError struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error is the one error type that crosses layer boundaries.
type Error struct {
	Kind    Kind
	Code    string
	Message string
	Fields  []FieldError
	// Meta carries extra machine-readable details (e.g. the id of an existing duplicate).
	Meta map[string]any
	// Err is the wrapped cause; it is logged, never sent to clients.
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Is lets errors.Is match on Kind and Code, so sentinel values work:
// errors.Is(err, customer.ErrNotFound).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok {
		return false
	}
	return t.Kind == e.Kind && t.Code == e.Code
}

// With returns a copy carrying meta key/value.
func (e *Error) With(key string, value any) *Error {
	c := *e
	c.Meta = make(map[string]any, len(e.Meta)+1)
	for k, v := range e.Meta {
		c.Meta[k] = v
	}
	c.Meta[key] = value
	return &c
}

// Wrap returns a copy that wraps cause (for logs) without changing what clients see.
func (e *Error) Wrap(cause error) *Error {
	c := *e
	c.Err = cause
	return &c
}

// Withf returns a copy with a formatted message.
func (e *Error) Withf(format string, args ...any) *Error {
	c := *e
	c.Message = fmt.Sprintf(format, args...)
	return &c
}

func New(kind Kind, code, message string) *Error {
	return &Error{Kind: kind, Code: code, Message: message}
}

func Invalid(code, message string) *Error  { return New(KindInvalid, code, message) }
func NotFound(code, message string) *Error { return New(KindNotFound, code, message) }
func Conflict(code, message string) *Error { return New(KindConflict, code, message) }
func Rule(code, message string) *Error     { return New(KindRule, code, message) }
func Forbidden(code, message string) *Error {
	return New(KindForbidden, code, message)
}
func Unauthenticated(code, message string) *Error {
	return New(KindUnauthenticated, code, message)
}
func Unavailable(code, message string) *Error { return New(KindUnavailable, code, message) }

// Internal wraps an unexpected failure.
func Internal(err error) *Error {
	return &Error{Kind: KindInternal, Code: "internal", Message: "internal error", Err: err}
}

// From returns err as *Error, treating anything else as internal.
func From(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return Internal(err)
}

// Validation collects field errors and yields one KindRule error (422) — or, with
// AsInvalid, a 400 — when any were added.
type Validation struct {
	fields []FieldError
}

// Add records a field problem.
func (v *Validation) Add(field, code, message string) {
	v.fields = append(v.fields, FieldError{Field: field, Code: code, Message: message})
}

// Check records a problem when cond is false. It returns cond for chaining.
func (v *Validation) Check(cond bool, field, code, message string) bool {
	if !cond {
		v.Add(field, code, message)
	}
	return cond
}

// Empty reports whether no problems were recorded.
func (v *Validation) Empty() bool { return len(v.fields) == 0 }

// Err returns nil when empty, else a 422 validation_failed error with the fields.
func (v *Validation) Err() error {
	if v.Empty() {
		return nil
	}
	return &Error{Kind: KindRule, Code: "validation_failed", Message: "the request has invalid fields", Fields: v.fields}
}
