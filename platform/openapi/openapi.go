// Package openapi builds a service's OpenAPI 3 document from the same Go types
// its handlers decode and encode, so the schemas cannot drift from the code.
// Each service declares its operations next to its routes; a test in every
// service checks that the document and the gin routes list the same endpoints.
package openapi

import (
	"encoding"
	"encoding/json"
	"fmt"
	"path"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/closeloop/closeloop/platform/httpx"
)

// Param is a path or query parameter.
type Param struct {
	Name        string
	In          string // "path" or "query"
	Description string
	Type        string // "string" (default), "integer", "boolean", "number"
	Enum        []string
	Required    bool
	// Repeated: a query parameter that may be given more than once
	// (?p=a&p=b), an array of Type.
	Repeated bool
}

// Op is one operation.
type Op struct {
	Method      string
	Path        string // gin style: /v1/customers/:id
	Summary     string
	Description string
	Tag         string
	Permission  string
	Params      []Param
	Request     any // zero value of the request type, or nil
	Status      int // success status
	Response    any // zero value of the response type, or nil for no body
	// AlsoOK lists other success statuses answered with the same body, each
	// with why (201 created, and 200 "joined an existing booking").
	AlsoOK map[int]string
	// Errors lists the error statuses this operation can return besides 401/500.
	Errors     []int
	Idempotent bool // honours Idempotency-Key
	// IdempotencyNote replaces the default description of the
	// Idempotency-Key header (services whose retries work differently).
	IdempotencyNote string
}

// Shaper is a type whose JSON is not its Go fields (it has its own
// MarshalJSON): JSONShape returns a zero value of a type that encodes the
// same way, and the document describes that one in its stead. A type with its
// own MarshalJSON that is not a Shaper is documented as any JSON value (never
// as its Go fields, which it does not send); one with MarshalText as a string.
type Shaper interface{ JSONShape() any }

// Doc accumulates operations.
type Doc struct {
	title, version, description string
	ops                         []Op
	schemas                     map[string]any
	// names holds the type each schema name stands for: two types of one
	// name (visits.View and actions.View) get names qualified by package.
	names map[string]reflect.Type
}

// New starts a document.
func New(title, version, description string) *Doc {
	return &Doc{title: title, version: version, description: description, schemas: map[string]any{}, names: map[string]reflect.Type{}}
}

// Add declares operations.
func (d *Doc) Add(ops ...Op) *Doc {
	d.ops = append(d.ops, ops...)
	return d
}

// Ops returns the declared operations.
func (d *Doc) Ops() []Op { return d.ops }

// OpenAPIPath converts a gin path to OpenAPI form.
func OpenAPIPath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		if strings.HasPrefix(s, ":") || strings.HasPrefix(s, "*") {
			parts[i] = "{" + s[1:] + "}"
		}
	}
	return strings.Join(parts, "/")
}

var errorText = map[int]string{
	400: "Malformed request: bad JSON, unknown field, wrong type or bad query parameter",
	401: "Missing, invalid or expired bearer token",
	403: "Your role lacks the permission",
	404: "No such resource, or not one you may see",
	409: "Conflict with existing data (duplicate, or Idempotency-Key reused with another body)",
	413: "Request body too large",
	422: "Breaks a business rule; details.fields names the fields",
	503: "A dependency is unavailable; retry later",
	500: "Internal error",
}

// JSON renders the document.
func (d *Doc) JSON() []byte {
	paths := map[string]map[string]any{}
	d.schemas["Error"] = d.schema(reflect.TypeOf(httpx.ErrorBody{}))
	d.schemas["Error"].(map[string]any)["example"] = map[string]any{
		"code": "validation_failed", "message": "the request has invalid fields",
		"details": map[string]any{"fields": []any{map[string]any{"field": "name", "code": "required", "message": "is required"}}},
	}
	for _, op := range d.ops {
		p := OpenAPIPath(op.Path)
		if paths[p] == nil {
			paths[p] = map[string]any{}
		}
		o := map[string]any{"summary": op.Summary, "operationId": operationID(op), "responses": d.responses(op)}
		if op.Tag != "" {
			o["tags"] = []string{op.Tag}
		}
		desc := op.Description
		if op.Permission != "" {
			desc = strings.TrimSpace(desc + "\n\nRequires permission `" + op.Permission + "`.")
		}
		if desc != "" {
			o["description"] = desc
		}
		var params []any
		for _, prm := range op.Params {
			typ := prm.Type
			if typ == "" {
				typ = "string"
			}
			s := map[string]any{"type": typ}
			if len(prm.Enum) > 0 {
				s["enum"] = prm.Enum
			}
			if prm.Repeated {
				s = map[string]any{"type": "array", "items": s}
			}
			params = append(params, map[string]any{"name": prm.Name, "in": prm.In, "required": prm.In == "path" || prm.Required, "description": prm.Description, "schema": s})
		}
		if op.Idempotent {
			note := op.IdempotencyNote
			if note == "" {
				note = "Retrying with the same key returns the first response instead of creating twice (kept 24 h)."
			}
			params = append(params, map[string]any{"name": "Idempotency-Key", "in": "header", "required": false,
				"description": note,
				"schema":      map[string]any{"type": "string", "maxLength": 200}})
		}
		if len(params) > 0 {
			o["parameters"] = params
		}
		if op.Request != nil {
			o["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": d.ref(reflect.TypeOf(op.Request))}}}
		}
		paths[p][strings.ToLower(op.Method)] = o
	}
	doc := map[string]any{
		"openapi": "3.0.3",
		"info":    map[string]any{"title": d.title, "version": d.version, "description": d.description},
		"paths":   paths,
		"components": map[string]any{
			"schemas":         d.schemas,
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
		},
		"security": []any{map[string]any{"bearer": []string{}}},
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		panic(err)
	}
	return out
}

func operationID(op Op) string {
	s := strings.ToLower(op.Method) + strings.NewReplacer("/v1/", "_", "/", "_", ":", "by_", "-", "_").Replace(op.Path)
	return strings.Trim(s, "_")
}

func (d *Doc) responses(op Op) map[string]any {
	r := map[string]any{}
	status := op.Status
	if status == 0 {
		status = 200
	}
	ok := map[string]any{"description": "Success"}
	if op.Response != nil {
		ok["content"] = map[string]any{"application/json": map[string]any{"schema": d.ref(reflect.TypeOf(op.Response))}}
	}
	r[fmt.Sprint(status)] = ok
	for st, why := range op.AlsoOK {
		also := map[string]any{"description": why}
		if c, has := ok["content"]; has {
			also["content"] = c
		}
		r[fmt.Sprint(st)] = also
	}
	errs := append([]int{401, 500}, op.Errors...)
	if op.Request != nil {
		errs = append(errs, 400, 413)
	}
	for _, e := range errs {
		r[fmt.Sprint(e)] = map[string]any{"description": errorText[e],
			"content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}}
	}
	return r
}

func (d *Doc) ref(t reflect.Type) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() == reflect.Struct && t != reflect.TypeOf(time.Time{}) && !special(t) {
		name := d.nameOf(t)
		if _, ok := d.schemas[name]; !ok {
			d.schemas[name] = map[string]any{} // placeholder against recursion
			d.schemas[name] = d.schema(t)
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	return d.schema(t)
}

func schemaName(t reflect.Type) string {
	name := t.Name()
	if r := []rune(name); len(r) > 0 && unicode.IsLower(r[0]) { // a wire shape: stepJSON → Step
		r[0] = unicode.ToUpper(r[0])
		name = strings.TrimSuffix(string(r), "JSON")
	}
	if i := strings.IndexByte(name, '['); i >= 0 { // generic: Page[pkg.CustomerView] → CustomerViewPage
		inner := name[i+1 : len(name)-1]
		if j := strings.LastIndexByte(inner, '.'); j >= 0 {
			inner = inner[j+1:]
		}
		name = inner + name[:i]
	}
	return name
}

// nameOf is t's schema name: its Go name (CustomerViewPage for
// Page[CustomerView]), qualified by its package when another type of the
// document already has that name (VisitsView), and numbered if even that is
// taken.
func (d *Doc) nameOf(t reflect.Type) string {
	base := schemaName(t)
	pkg := t.PkgPath()
	if i := strings.IndexByte(t.Name(), '['); i >= 0 { // generic: qualify by the argument's package
		inner := t.Name()[i+1 : len(t.Name())-1]
		if j := strings.LastIndexByte(inner, '.'); j >= 0 {
			pkg = inner[:j]
		}
	}
	q := []rune(qualifier(pkg))
	if len(q) > 0 {
		q[0] = unicode.ToUpper(q[0])
	}
	for i, name := 0, base; ; i++ {
		switch {
		case i == 1:
			name = strings.Map(func(r rune) rune {
				if unicode.IsLetter(r) || unicode.IsDigit(r) {
					return r
				}
				return -1
			}, string(q)) + base
		case i > 1:
			name = string(q) + base + strconv.Itoa(i)
		}
		if prev, ok := d.names[name]; !ok || prev == t {
			d.names[name] = t
			return name
		}
	}
}

// qualifier is the package path's last element that names a capability
// (actions for .../actions/app), not a layer of the service's shape.
func qualifier(pkg string) string {
	parts := strings.Split(pkg, "/")
	for i := len(parts) - 1; i >= 0; i-- {
		switch parts[i] {
		case "app", "domain", "ports", "adapters", "internal", "":
			continue
		}
		return parts[i]
	}
	return path.Base(pkg)
}

var (
	shaperType = reflect.TypeOf((*Shaper)(nil)).Elem()
	jsonType   = reflect.TypeOf((*json.Marshaler)(nil)).Elem()
	textType   = reflect.TypeOf((*encoding.TextMarshaler)(nil)).Elem()
	rawType    = reflect.TypeOf(json.RawMessage{})
)

// special says whether t's JSON is not its Go fields.
func special(t reflect.Type) bool {
	return t == rawType || t.Implements(shaperType) || t.Implements(jsonType) || reflect.PointerTo(t).Implements(jsonType) ||
		t.Implements(textType) || reflect.PointerTo(t).Implements(textType)
}

// specialSchema describes a type with its own JSON encoding.
func (d *Doc) specialSchema(t reflect.Type) map[string]any {
	switch {
	case t == rawType:
		return map[string]any{}
	case t.Implements(shaperType):
		return d.schema(reflect.TypeOf(reflect.Zero(t).Interface().(Shaper).JSONShape()))
	case t.Implements(jsonType) || reflect.PointerTo(t).Implements(jsonType):
		return map[string]any{"description": "any JSON value (" + t.Name() + ")"}
	default:
		return map[string]any{"type": "string"}
	}
}

// fields adds the JSON properties of struct t to props. As encoding/json
// does, an embedded struct without a JSON name has its fields in its
// parent's object; the parent's own fields win a clash.
func (d *Doc) fields(t reflect.Type, props map[string]any) {
	var embedded []reflect.Type
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if f.Anonymous && name == "" && ft.Kind() == reflect.Struct && !special(ft) {
			embedded = append(embedded, ft)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		props[name] = d.ref(f.Type)
	}
	for _, e := range embedded {
		inner := map[string]any{}
		d.fields(e, inner)
		for k, v := range inner {
			if _, ok := props[k]; !ok {
				props[k] = v
			}
		}
	}
}

func (d *Doc) schema(t reflect.Type) map[string]any {
	nullable := false
	for t.Kind() == reflect.Pointer {
		t, nullable = t.Elem(), true
	}
	var s map[string]any
	switch {
	case t == reflect.TypeOf(time.Time{}):
		s = map[string]any{"type": "string", "format": "date-time"}
	case special(t):
		s = d.specialSchema(t)
	case t.Kind() == reflect.Struct:
		props := map[string]any{}
		d.fields(t, props)
		s = map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	case t.Kind() == reflect.Slice || t.Kind() == reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			s = map[string]any{"type": "string", "format": "byte"}
		} else {
			s = map[string]any{"type": "array", "items": d.ref(t.Elem())}
		}
	case t.Kind() == reflect.Map:
		s = map[string]any{"type": "object", "additionalProperties": d.ref(t.Elem())}
	case t.Kind() == reflect.String:
		s = map[string]any{"type": "string"}
	case t.Kind() == reflect.Bool:
		s = map[string]any{"type": "boolean"}
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		s = map[string]any{"type": "integer"}
	case t.Kind() == reflect.Float32:
		s = map[string]any{"type": "number", "format": "float"}
	case t.Kind() == reflect.Float64:
		s = map[string]any{"type": "number", "format": "double"}
	default: // interface{}: any JSON value
		s = map[string]any{}
	}
	if nullable {
		s["nullable"] = true
	}
	return s
}
