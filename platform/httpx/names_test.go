package httpx

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
)

type nameBase struct {
	Team string `json:"team"`
}

type nameReq struct {
	nameBase
	OwnerID string            `json:"owner_id"`
	Tags    []string          `json:"tags"`
	Data    map[string]string `json:"data"`
	Raw     json.RawMessage   `json:"raw"`
	At      *time.Time        `json:"at"`
	Lines   []struct {
		SKU string `json:"sku"`
	} `json:"lines"`
	Skip string `json:"-"`
}

// TestDecodeStrictRefusesRepeatedAndMiscasedNames: encoding/json keeps the
// last of two equal names and matches names case-insensitively; a request
// body with either is refused, naming the field, and the request changes
// nothing. Maps, raw JSON and self-decoding types keep their own keys.
func TestDecodeStrictRefusesRepeatedAndMiscasedNames(t *testing.T) {
	cases := []struct {
		body, code, field string
	}{
		{`{"owner_id":"rep-ana","team":"north","tags":["a"],"data":{"Key":"v","key":"w"},"raw":{"A":1,"a":2},"at":"2026-12-05T10:00:00Z","lines":[{"sku":"x"}]}`, "", ""},
		{`{"owner_id":"rep-ana","owner_id":"rep-bo"}`, "duplicate_field", "owner_id"},
		{`{"team":"north","team":"south"}`, "duplicate_field", "team"},
		{`{"Owner_ID":"rep-bo"}`, "unknown_field", "Owner_ID"},
		{`{"TEAM":"south"}`, "unknown_field", "TEAM"},
		{`{"lines":[{"sku":"x","sku":"y"}]}`, "duplicate_field", "lines[].sku"},
		{`{"lines":[{"SKU":"x"}]}`, "unknown_field", "lines[].SKU"},
		{`{"data":{"k":"v","k":"w"}}`, "duplicate_field", "data.k"},
		{`{"raw":{"a":1,"a":2}}`, "duplicate_field", "raw.a"},
		{`{"Skip":"x"}`, "unknown_field", "Skip"},
	}
	for _, c := range cases {
		var got nameReq
		err := DecodeStrict([]byte(c.body), &got)
		code, field := "", ""
		if e, ok := err.(*apperr.Error); ok {
			code = e.Code
			if len(e.Fields) == 1 {
				field = e.Fields[0].Field
			}
		} else if err != nil {
			t.Errorf("%s: %v is not an API error", c.body, err)
		}
		if code != c.code || field != c.field {
			t.Errorf("%s: got %q on %q (%v), want %q on %q", c.body, code, field, err, c.code, c.field)
		}
	}
}
