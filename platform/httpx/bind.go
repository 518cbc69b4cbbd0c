package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/platform/apperr"
)

// ErrBodyTooLarge is returned when a request body exceeds the configured limit.
var ErrBodyTooLarge = apperr.New(apperr.KindTooLarge, "body_too_large", "the request body is too large")

// Bind decodes the JSON request body into dst strictly: unknown fields, a
// field given twice, a field name in the wrong case, trailing data, wrong
// types and malformed JSON are 400 errors naming the problem. dst must be a
// request type, never a storage model.
func Bind(c *gin.Context, dst any) error {
	if ct := c.ContentType(); ct != "" && ct != "application/json" {
		return apperr.Invalid("unsupported_media_type", "the request body must be application/json")
	}
	raw, err := io.ReadAll(c.Request.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return ErrBodyTooLarge.Withf("the request body exceeds %d bytes", mbe.Limit)
		}
		return apperr.Invalid("unreadable_body", "the request body could not be read")
	}
	return DecodeStrict(raw, dst)
}

// BindRaw is Bind that also returns the body's bytes (an Idempotency-Key's
// request hash).
func BindRaw(c *gin.Context, dst any) ([]byte, error) {
	raw, err := io.ReadAll(c.Request.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, ErrBodyTooLarge.Withf("the request body exceeds %d bytes", mbe.Limit)
		}
		return nil, apperr.Invalid("unreadable_body", "the request body could not be read")
	}
	c.Request.Body = io.NopCloser(bytes.NewReader(raw))
	if err := Bind(c, dst); err != nil {
		return nil, err
	}
	return raw, nil
}

// DecodeStrict is Bind's decoder, usable on any byte slice.
func DecodeStrict(raw []byte, dst any) error {
	if len(bytes.TrimSpace(raw)) == 0 {
		return apperr.Invalid("empty_body", "the request body is empty; a JSON object is required")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	if dec.More() {
		return apperr.Invalid("malformed_json", "the request body has data after the JSON value")
	}
	if _, err := dec.Token(); err != io.EOF {
		return apperr.Invalid("malformed_json", "the request body has data after the JSON value")
	}
	return checkNames(raw, reflect.TypeOf(dst))
}

func decodeError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return apperr.Invalid("malformed_json", fmt.Sprintf("malformed JSON at byte %d", syn.Offset))
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "$"
		}
		e := apperr.Invalid("invalid_type", fmt.Sprintf("field %q must be %s", field, jsonKind(typ.Type.Kind().String())))
		e.Fields = []apperr.FieldError{{Field: field, Code: "invalid_type", Message: "must be " + jsonKind(typ.Type.Kind().String())}}
		return e
	case errors.Is(err, io.ErrUnexpectedEOF):
		return apperr.Invalid("malformed_json", "the JSON body ends unexpectedly")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		e := apperr.Invalid("unknown_field", fmt.Sprintf("unknown field %q", name))
		e.Fields = []apperr.FieldError{{Field: name, Code: "unknown_field", Message: "this field is not part of the request"}}
		return e
	default:
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return ErrBodyTooLarge.Withf("the request body exceeds %d bytes", mbe.Limit)
		}
		// Well-formed JSON whose value a field's own decoder refused (a time
		// that is not RFC 3339, a clock that is not HH:MM, ...): say which.
		return apperr.Invalid("invalid_value", "a field has an invalid value: "+strings.TrimPrefix(err.Error(), "json: "))
	}
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "slice", "array":
		return "an array"
	case "struct", "map":
		return "an object"
	case "ptr":
		return "a value of the documented type"
	default:
		return "a number"
	}
}

// routeLimits are the body limits of single routes that need more than the
// engine's: a bulk endpoint whose documented batch does not fit in it. Keyed by
// "METHOD /full/path" as gin matched it (group prefix included).
var routeLimits sync.Map

// AllowBody lets one route (method, gin's full path such as
// "/v1/customers/import") accept bodies up to n bytes, when that is more than
// the engine's limit. Every other route keeps the engine's limit.
func AllowBody(method, path string, n int64) { routeLimits.Store(method+" "+path, n) }

// BodyLimit caps request bodies at n bytes, or at the route's own larger
// limit (see AllowBody).
func BodyLimit(n int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		trackBody(c)
		limit := n
		if l, ok := routeLimits.Load(c.Request.Method + " " + c.FullPath()); ok {
			limit = max(n, l.(int64))
		}
		if c.Request.ContentLength > limit {
			WriteError(c, ErrBodyTooLarge.Withf("the request body exceeds %d bytes", limit))
			return
		}
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
		c.Next()
	}
}

// BindOptional binds a JSON body like Bind when there is one; an empty body
// leaves dst as it is (for endpoints whose body is optional).
func BindOptional(c *gin.Context, dst any) error {
	if c.Request.ContentLength == 0 {
		return nil
	}
	return Bind(c, dst)
}
