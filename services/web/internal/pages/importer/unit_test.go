package importer

import (
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/services/web/internal/apis/customerapi"
	"github.com/closeloop/closeloop/services/web/internal/console"
	"github.com/closeloop/closeloop/services/web/internal/csvimport"
	"github.com/closeloop/closeloop/services/web/internal/session"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

// A sealed preview opens only for the user who made it, within maxAge, and
// exactly as it was sealed.
func TestSealedPreview(t *testing.T) {
	c, err := session.NewCodec(session.NewKey(), false, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	p := &Preview{Subject: "rep-ana", At: at, File: "客户.csv", Summary: Summary{Rows: 2, New: 1, Invalid: 1},
		New: []NewRow{{Row: 2, Customer: &csvimport.Customer{Name: "华北新材料", Region: "north", Industry: "steel", AnnualRevenue: 123456789.12,
			Contacts: []csvimport.Contact{{Name: "王芳", Email: "wang@x.example", IsPrimary: true}}}}}}
	sealed, err := seal(c, p)
	if err != nil {
		t.Fatal(err)
	}
	got, err := open(c, sealed, "rep-ana", at.Add(maxAge-time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if got.File != p.File || got.Summary != p.Summary || len(got.New) != 1 || got.New[0].Customer.AnnualRevenue != 123456789.12 ||
		got.New[0].Customer.Contacts[0].Email != "wang@x.example" {
		t.Fatalf("opened %+v", got)
	}
	for what, try := range map[string]func() (*Preview, error){
		"another user":    func() (*Preview, error) { return open(c, sealed, "rep-bo", at) },
		"too old":         func() (*Preview, error) { return open(c, sealed, "rep-ana", at.Add(maxAge+time.Second)) },
		"from the future": func() (*Preview, error) { return open(c, sealed, "rep-ana", at.Add(-time.Hour)) },
		"changed": func() (*Preview, error) {
			b := []byte(sealed)
			b[10] ^= 1
			return open(c, string(b), "rep-ana", at)
		},
		"not sealed": func() (*Preview, error) { return open(c, "hello", "rep-ana", at) },
		"sealed for a cookie": func() (*Preview, error) {
			s, _ := c.Seal(session.CookieName, p)
			return open(c, s, "rep-ana", at)
		},
	} {
		if _, err := try(); !errors.Is(err, errStale) {
			t.Errorf("%s: %v, want errStale", what, err)
		}
	}
	if maxAge >= 24*time.Hour {
		t.Fatal("a preview outlives the service's idempotency keys (24 h): confirming it again could import twice")
	}
}

// Each block of a confirmation has its own key, the same every time the
// same form is posted with the same rows, another for another choice of
// rows, within the service's limits.
func TestChunkKeys(t *testing.T) {
	idem := strings.Repeat("k", 120)
	if !validKey(idem) || validKey("") || validKey(idem+"k") || validKey("ключ") || validKey("a\tb") {
		t.Fatal("validKey")
	}
	rows := []int{2, 3, 5}
	seen := map[string]bool{}
	for i := range 100 {
		k := chunkKey(idem, rows, i)
		if seen[k] || k != chunkKey(idem, []int{2, 3, 5}, i) || len(k) > 200 || strings.ContainsFunc(k, func(r rune) bool { return r < 33 || r > 126 }) {
			t.Fatalf("block %d: key %q", i, k)
		}
		seen[k] = true
	}
	if chunkKey("a", rows, 1) == chunkKey("b", rows, 1) {
		t.Fatal("two forms share a key")
	}
	if chunkKey("a", []int{2, 3}, 0) == chunkKey("a", []int{2, 3, 5}, 0) || chunkKey("a", []int{23}, 0) == chunkKey("a", []int{2, 3}, 0) {
		t.Fatal("two choices of rows share a key")
	}
	if chunks(0, 5000) != 0 || chunks(1, 5000) != 1 || chunks(5000, 5000) != 1 || chunks(5001, 5000) != 2 || chunks(100_000, importRows) != 100 {
		t.Fatal("chunks")
	}
}

// A block's answer is read by index, a duplicate of an earlier row of the
// block pointing at that row among all rows sent; an answer that does not
// fit the block is an error, never a guess.
func TestAnswersOf(t *testing.T) {
	i0, i1, i2, dup := 0, 1, 2, 0
	s := func(v string) *string { return &v }
	res := &customerapi.ImportResult{Rows: &[]customerapi.ImportRowResult{
		{Index: &i2, Outcome: s("invalid"), Errors: &[]customerapi.FieldError{{Field: s("name"), Code: s("required")}}},
		{Index: &i0, Outcome: s("new")},
		{Index: &i1, Outcome: s("duplicate"), DuplicateOfRow: &dup, MatchedOn: s("name")},
	}}
	got, err := answersOf(res, 3, 5000)
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Outcome != "new" || got[0].DupOf != -1 || got[1].DupOf != 5000 || got[1].MatchedOn != "name" || len(got[2].Errors) != 1 {
		t.Fatalf("%+v", got)
	}
	if _, err := answersOf(res, 4, 0); err == nil {
		t.Fatal("an answer with fewer rows than sent was taken")
	}
	twice := &customerapi.ImportResult{Rows: &[]customerapi.ImportRowResult{{Index: &i0}, {Index: &i0}}}
	if _, err := answersOf(twice, 2, 0); err == nil {
		t.Fatal("an answer naming a row twice was taken")
	}
}

func TestSmallReaders(t *testing.T) {
	for in, want := range map[string]string{`C:\Users\ana\客户.csv`: "客户.csv", "/tmp/a.csv": "a.csv", "b.txt": "b.txt", "": ""} {
		if got := fileName(in); got != want {
			t.Errorf("fileName(%q) = %q", in, got)
		}
	}
	if got := allowedOf("must be one of lead, lost, prospect (or its Chinese name)"); got != "lead, lost, prospect" {
		t.Errorf("allowedOf: %q", got)
	}
	if sepName(';') != "semicolon" || sepName('\t') != "tab" || sepName(',') != "comma" {
		t.Error("sepName")
	}
	if importField("contacts[0].email") != "contact_email" || importField("owner_id") != "owner_id" {
		t.Error("importField")
	}
}

// A body larger than the route takes is refused with a page that says
// what the limit is, before anything reads it.
func TestLimitBody(t *testing.T) {
	v, err := view.New("UTC", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := v.AddMessages("importer", locales, "locales"); err != nil {
		t.Fatal(err)
	}
	h := &handler{d: &console.Deps{View: v}}
	e := gin.New()
	reached := false
	e.POST("/import", h.limitBody(1000), func(c *gin.Context) {
		reached = true
		_, err := io.ReadAll(c.Request.Body)
		c.String(200, "%v", err)
	})
	big := httptest.NewRequest("POST", "/import", strings.NewReader(strings.Repeat("x", 1001)))
	w := httptest.NewRecorder()
	e.ServeHTTP(w, big)
	if w.Code != 413 || reached || !strings.Contains(w.Body.String(), "The file is too large") || !strings.Contains(w.Body.String(), "100,000 rows and 64 MiB") {
		t.Fatalf("a body over the limit: %d reached=%v\n%s", w.Code, reached, w.Body.String())
	}
	// Without a length the cap still holds while reading.
	chunked := httptest.NewRequest("POST", "/import", io.MultiReader(strings.NewReader(strings.Repeat("x", 1001))))
	chunked.ContentLength = -1
	w = httptest.NewRecorder()
	e.ServeHTTP(w, chunked)
	if !reached || !strings.Contains(w.Body.String(), "request body too large") {
		t.Fatalf("a body of unknown length over the limit was read: %s", w.Body.String())
	}
}
