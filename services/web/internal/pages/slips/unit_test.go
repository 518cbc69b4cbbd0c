package slips

import (
	"net/url"
	"reflect"
	"testing"
	"time"
)

func TestParseDue(t *testing.T) {
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		in   string
		want string // RFC 3339 in UTC; "" none
		ok   bool
	}{
		{"", "", true},
		{"2026-12-11T18:00", "2026-12-11T10:00:00Z", true},
		{"2026-12-11T18:00:30", "2026-12-11T10:00:30Z", true},
		{"2026-12-11", "2026-12-11T15:59:00Z", true}, // the end of that day in Shanghai
		{"next week", "", false},
		{"2026-13-01T10:00", "", false},
	} {
		got, ok := parseDue(c.in, sh)
		s := ""
		if got != nil {
			s = got.UTC().Format(time.RFC3339)
		}
		if ok != c.ok || s != c.want {
			t.Errorf("parseDue(%q) = %q, %v; want %q, %v", c.in, s, ok, c.want, c.ok)
		}
	}
}

func TestRowFieldsNameTheFormRows(t *testing.T) {
	got := rowFields(map[string]string{"recipients[0].user_id": "a", "recipients[1]": "b", "attachments[0].url": "c",
		"recipients": "d", "recipients[7].team": "e"}, []int{2, 4}, []int{1})
	want := map[string]string{"recipients[2].user_id": "a", "recipients[4]": "b", "attachments[1].url": "c", "recipients": "d",
		"recipients[7].team": "e"} // an index the form did not send stays as the service said it
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("rowFields = %v, want %v", got, want)
	}
}

func TestRecipientOf(t *testing.T) {
	v := url.Values{"to.department": {"sales"}, "to.team": {" south "}, "x.user_id": {"rep-bo"}, "x.department": {"service"}}
	if r, ok := recipientOf(v, "to"); !ok || *r.Kind != "department" || *r.Department != "sales" || *r.Team != "south" || r.UserId != nil {
		t.Fatalf("a department: %+v %v", r, ok)
	}
	// A person with a department typed too: sent as typed, so the service
	// says a person's department is not theirs to set.
	if r, ok := recipientOf(v, "x"); !ok || *r.Kind != "person" || *r.UserId != "rep-bo" || *r.Department != "service" {
		t.Fatalf("a person: %+v %v", r, ok)
	}
	if _, ok := recipientOf(v, "empty"); ok {
		t.Fatal("empty inputs name a recipient")
	}
}

func TestContentType(t *testing.T) {
	for in, want := range map[string]string{"https://f.example.com/offer.pdf?v=2": "application/pdf",
		"https://f.example.com/offer": "application/octet-stream", "not a url\x7f": "application/octet-stream"} {
		if got := contentType(in); got != want {
			t.Errorf("contentType(%q) = %q, want %q", in, got, want)
		}
	}
}
