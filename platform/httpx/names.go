package httpx

import (
	"bytes"
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/closeloop/closeloop/platform/apperr"
)

// checkNames walks a JSON body beside the type it is decoded into and
// refuses what encoding/json would let through silently: a name twice in
// one object (the last one would win), and a field name that matches a
// request field only when case is ignored ("Owner_ID" for "owner_id").
// Objects decoded into maps, interfaces or types with their own decoder
// are checked for repeated names only. A body the decoder would refuse for
// another reason is left to it.
func checkNames(raw []byte, t reflect.Type) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	err := walkValue(dec, t, "")
	if _, ok := err.(*apperr.Error); ok {
		return err
	}
	return nil
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// opaque types decode themselves: their names are not a struct's fields.
func opaque(t reflect.Type) bool {
	if t == nil {
		return true
	}
	return t.Implements(jsonUnmarshaler) || reflect.PointerTo(t).Implements(jsonUnmarshaler) ||
		t.Implements(textUnmarshaler) || reflect.PointerTo(t).Implements(textUnmarshaler)
}

func walkValue(dec *json.Decoder, t reflect.Type, path string) error {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return nil // a scalar
	}
	if opaque(t) {
		t = nil
	}
	switch d {
	case '[':
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for dec.More() {
			if err := walkValue(dec, elem, path+"[]"); err != nil {
				return err
			}
		}
	case '{':
		var fields map[string]reflect.Type
		var elem reflect.Type
		if t != nil && t.Kind() == reflect.Struct {
			fields = structFields(t)
		} else if t != nil && t.Kind() == reflect.Map {
			elem = t.Elem()
		}
		seen := map[string]bool{}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return err
			}
			name, _ := k.(string)
			field := join(path, name)
			if seen[name] {
				e := apperr.Invalid("duplicate_field", fmt.Sprintf("field %q appears more than once", field))
				e.Fields = []apperr.FieldError{{Field: field, Code: "duplicate_field", Message: "give each field once"}}
				return e
			}
			seen[name] = true
			next := elem
			if fields != nil {
				ft, exact := fields[name]
				if !exact {
					for want := range fields {
						if strings.EqualFold(want, name) {
							e := apperr.Invalid("unknown_field", fmt.Sprintf("unknown field %q: field names are case-sensitive (%q)", field, join(path, want)))
							e.Fields = []apperr.FieldError{{Field: field, Code: "unknown_field", Message: "field names are case-sensitive: " + want}}
							return e
						}
					}
				}
				next = ft
			}
			if err := walkValue(dec, next, field); err != nil {
				return err
			}
		}
	}
	_, err = dec.Token() // the closing delimiter
	return err
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

var fieldCache sync.Map // reflect.Type → map[string]reflect.Type

// structFields are the JSON names of a struct's fields as encoding/json
// sees them (tags, embedded structs promoted, "-" left out).
func structFields(t reflect.Type) map[string]reflect.Type {
	if f, ok := fieldCache.Load(t); ok {
		return f.(map[string]reflect.Type)
	}
	out := map[string]reflect.Type{}
	var add func(t reflect.Type)
	add = func(t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, _, _ := strings.Cut(tag, ",")
			ft := f.Type
			if f.Anonymous && name == "" {
				for ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if ft.Kind() == reflect.Struct {
					add(ft)
					continue
				}
			}
			if !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if _, dup := out[name]; !dup {
				out[name] = f.Type
			}
		}
	}
	add(t)
	fieldCache.Store(t, out)
	return out
}
