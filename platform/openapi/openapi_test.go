package openapi_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/openapi"
	a "github.com/closeloop/closeloop/platform/openapi/internal/a/app"
	b "github.com/closeloop/closeloop/platform/openapi/internal/b/domain"
)

// dur has its own JSON (a string like "4h") and says so.
type dur time.Duration

func (d dur) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }
func (dur) JSONShape() any                 { return "" }

// opaque has its own JSON and does not say which.
type opaque struct{ x int }

func (o opaque) MarshalJSON() ([]byte, error) { return json.Marshal(o.x) }

// day travels as text ("2026-10-01").
type day struct{ Y, M, D int }

func (day) MarshalText() ([]byte, error) { return []byte("2026-10-01"), nil }

type wireStep struct {
	After string `json:"after"`
}

// ladder has its own JSON, of the shape ladderJSON.
type ladder struct{ steps []time.Duration }

type ladderJSON struct {
	Steps []wireStep `json:"steps"`
}

func (ladder) MarshalJSON() ([]byte, error) { return []byte(`{"steps":[]}`), nil }
func (ladder) JSONShape() any               { return ladderJSON{} }

type Base struct {
	Name  string `json:"name"`
	Shape string `json:"shape"`
}

type Resp struct {
	Base
	Shape  int             `json:"shape"` // the parent's field wins
	First  a.View          `json:"first"`
	Second b.View          `json:"second"`
	Value  json.RawMessage `json:"value"`
	Wait   dur             `json:"wait"`
	Other  opaque          `json:"other"`
	Day    *day            `json:"day"`
	Ladder ladder          `json:"ladder"`
	Share  float64         `json:"share"`
	Small  float32         `json:"small"`
	Skip   string          `json:"-"`
}

func schemas(t *testing.T) map[string]map[string]any {
	t.Helper()
	d := openapi.New("t", "1", "").Add(openapi.Op{Method: "GET", Path: "/v1/x", Status: 200, Response: Resp{}},
		openapi.Op{Method: "GET", Path: "/v1/y", Status: 200, Response: b.View{}})
	var doc struct {
		Components struct{ Schemas map[string]map[string]any }
	}
	if err := json.Unmarshal(d.JSON(), &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Components.Schemas
}

func TestSchemasFollowTheWire(t *testing.T) {
	s := schemas(t)
	props := s["Resp"]["properties"].(map[string]any)
	want := map[string]any{
		"name":   map[string]any{"type": "string"},
		"shape":  map[string]any{"type": "integer"},
		"first":  map[string]any{"$ref": "#/components/schemas/View"},
		"second": map[string]any{"$ref": "#/components/schemas/BView"},
		"value":  map[string]any{},
		"wait":   map[string]any{"type": "string"},
		"other":  map[string]any{"description": "any JSON value (opaque)"},
		"day":    map[string]any{"type": "string"},
		"ladder": map[string]any{"type": "object", "additionalProperties": false, "properties": map[string]any{
			"steps": map[string]any{"type": "array", "items": map[string]any{"$ref": "#/components/schemas/WireStep"}}}},
		"share": map[string]any{"type": "number", "format": "double"},
		"small": map[string]any{"type": "number", "format": "float"},
	}
	for k, w := range want {
		if !reflect.DeepEqual(props[k], w) {
			t.Errorf("%s: %v, want %v", k, props[k], w)
		}
	}
	for k := range props {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected property %s: %v", k, props[k])
		}
	}
	// Two types named View: each keeps its own fields; the second one's
	// name says its package (its last element that is not a layer of the
	// service shape: b for internal/b/domain).
	if p := s["View"]["properties"].(map[string]any); p["a"] == nil || p["b"] != nil {
		t.Errorf("View: %v", p)
	}
	if p := s["BView"]["properties"].(map[string]any); p["b"] == nil || p["a"] != nil {
		t.Errorf("BView: %v", p)
	}
	if _, ok := s["WireStep"]; !ok {
		t.Errorf("the unexported wire type has no exported schema name: %v", reflect.ValueOf(s).MapKeys())
	}
}

func TestOtherSuccessStatusesCarryTheBody(t *testing.T) {
	d := openapi.New("t", "1", "").Add(openapi.Op{Method: "POST", Path: "/v1/x/:id", Status: 201, Request: b.View{}, Response: a.View{},
		AlsoOK: map[int]string{200: "joined"}})
	var doc struct {
		Paths map[string]map[string]struct{ Responses map[string]map[string]any }
	}
	if err := json.Unmarshal(d.JSON(), &doc); err != nil {
		t.Fatal(err)
	}
	rs := doc.Paths["/v1/x/{id}"]["post"].Responses
	if rs["200"]["description"] != "joined" || !reflect.DeepEqual(rs["200"]["content"], rs["201"]["content"]) || rs["201"]["content"] == nil {
		t.Fatalf("responses: %v", rs)
	}
}

func TestRepeatedQueryParameterIsAnArray(t *testing.T) {
	d := openapi.New("t", "1", "").Add(openapi.Op{Method: "GET", Path: "/v1/x", Response: a.View{},
		Params: []openapi.Param{{Name: "p", In: "query", Repeated: true, Enum: []string{"a", "b"}}, {Name: "q", In: "query"}}})
	var doc struct {
		Paths map[string]map[string]struct {
			Parameters []struct {
				Name   string
				Schema map[string]any
			}
		}
	}
	if err := json.Unmarshal(d.JSON(), &doc); err != nil {
		t.Fatal(err)
	}
	ps := doc.Paths["/v1/x"]["get"].Parameters
	want := map[string]any{"type": "array", "items": map[string]any{"type": "string", "enum": []any{"a", "b"}}}
	if len(ps) != 2 || !reflect.DeepEqual(ps[0].Schema, want) || !reflect.DeepEqual(ps[1].Schema, map[string]any{"type": "string"}) {
		t.Fatalf("parameters: %+v", ps)
	}
}
