package importer_test

import (
	"bytes"
	"encoding/json"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/closeloop/closeloop/platform/testenv"
	"github.com/closeloop/closeloop/services/internal/stacktest"
	"github.com/closeloop/closeloop/services/web/internal/pages/importer"
	"github.com/closeloop/closeloop/services/web/internal/session"
	"github.com/closeloop/closeloop/services/web/internal/view"
	"github.com/closeloop/closeloop/services/web/webtest"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestCataloguesHaveTheSameKeys(t *testing.T) {
	if err := view.SameKeys(os.DirFS("."), "locales"); err != nil {
		t.Fatal(err)
	}
}

// upload posts a file to /import as the browser's form does (multipart,
// with the session's anti-CSRF token and a fresh idempotency key).
func upload(t *testing.T, c *webtest.Client, name string, content []byte, headers ...string) webtest.Page {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("_csrf", c.CSRF)
	_ = mw.WriteField("_idem", session.Token(12))
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = fw.Write(content)
	_ = mw.Close()
	req, err := http.NewRequest(http.MethodPost, c.Base+"/import", &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return webtest.Page{Status: resp.StatusCode, Body: string(b), URL: resp.Request.URL.String(), Header: resp.Header}
}

var (
	sealedRE = regexp.MustCompile(`name="preview" value="([^"]+)"`)
	idemRE   = regexp.MustCompile(`name="_idem" value="([^"]+)"`)
)

// confirmForm is the preview page's confirm form, as the browser would
// post it with the button that has value mode.
func confirmForm(t *testing.T, p webtest.Page, mode string, rows ...string) url.Values {
	t.Helper()
	s, i := sealedRE.FindStringSubmatch(p.Body), idemRE.FindStringSubmatch(p.Body)
	if s == nil || i == nil {
		t.Fatalf("the preview has no confirm form:\n%s", p.Body)
	}
	return url.Values{"preview": {html.UnescapeString(s[1])}, "_idem": {html.UnescapeString(i[1])}, "mode": {mode}, "row": rows}
}

func gbk(t *testing.T, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// customersNamed lists user's customers whose name contains q.
func customersNamed(t *testing.T, s *webtest.Stack, user, q string) []map[string]any {
	t.Helper()
	r := s.Call("GET", "/v1/customers?limit=200&q="+url.QueryEscape(q), user, nil)
	if r.Status != 200 {
		t.Fatalf("list: %d %s", r.Status, r.Body)
	}
	var page struct {
		Items []map[string]any `json:"items"`
	}
	if err := json.Unmarshal(r.Body, &page); err != nil {
		t.Fatal(err)
	}
	return page.Items
}

// textOf is a page's text without tags, spaces folded, for reading
// sentences that templates break over elements.
func textOf(body string) string {
	text := strings.Join(strings.Fields(html.UnescapeString(tagRE.ReplaceAllString(body, " "))), " ")
	return strings.ReplaceAll(text, " :", ":")
}

var tagRE = regexp.MustCompile(`<[^>]+>`)

// One stack for the whole page: a rep previews a GBK file, sees per row
// what would happen, imports it (twice, as a double click would) and gets
// each customer once; another user cannot replay the rep's preview; the
// export holds the rep's scope only and imports again as duplicates; the
// refusals read as sentences in both languages.
func TestImportAndExport(t *testing.T) {
	s := webtest.New(t, webtest.Opts{NoTemporal: true})
	existing := s.Create(stacktest.RepAna, stacktest.Company(map[string]any{"name": "Existing Steel Works"}))
	south := s.Create(stacktest.RepBo, stacktest.Company(map[string]any{"name": "Boshan Valves South", "region": "south"}))
	ana := s.Client(t, stacktest.RepAna)

	file := gbk(t, "客户名称,地区,行业,负责人,联系人,邮箱,合作年限,备注\r\n"+
		"华北新材料有限公司,north,steel,,王芳,wang@huabei.example,3,new\r\n"+ // 2: new
		"EXISTING STEEL WORKS,north,steel,,,,,dup of a customer\r\n"+ // 3: duplicate of existing
		"华北新材料有限公司,north,steel,,,,,dup of row 2\r\n"+ // 4: duplicate of row 2
		"坏邮箱贸易,north,retail,,李雷,not-an-email,,invalid email\r\n"+ // 5: invalid (service)
		"别人的客户,north,retail,rep-bo,,,,owner is another rep\r\n"+ // 6: invalid owner
		"年限不对公司,north,retail,,,,十年,bad years\r\n") // 7: invalid cell (console)

	var preview webtest.Page
	t.Run("preview of a GBK file", func(t *testing.T) {
		preview = upload(t, ana, "客户.csv", file)
		if preview.Status != 200 {
			t.Fatalf("preview: %d\n%s", preview.Status, preview.Body)
		}
		text := textOf(preview.Body)
		for _, want := range []string{
			"Read as GBK (GB18030), cells separated by commas.",
			"These columns are not customer fields and are left out: 备注.",
			"1 row would be created", "2 rows are duplicates and would be skipped", "3 rows are invalid and would be skipped",
			"Repeats row 2 of the file (same name)",
			"邮箱 contacts[0].email: is not a valid email address",
			"负责人 owner_id: you may not give customers to this owner or team",
		} {
			if !strings.Contains(text, want) {
				t.Errorf("the preview lacks %q:\n%s", want, text)
			}
		}
		if !strings.Contains(text, "合作年限 years_of_business: “十年” is not a whole number of years") {
			t.Errorf("the console's own cell error is missing:\n%s", text)
		}
		if !strings.Contains(preview.Body, `href="/customers/`+existing+`"`) {
			t.Errorf("the duplicate of an existing customer does not link it")
		}
		if strings.Contains(preview.Body, "importer.") {
			t.Errorf("a message id shows:\n%s", preview.Body)
		}
		// Only new rows can be checked.
		if n := strings.Count(preview.Body, `type="checkbox"`); n != 1 || !strings.Contains(preview.Body, `name="row" value="2"`) {
			t.Errorf("%d check boxes; want one, for row 2", n)
		}
		// Nothing is written by a preview.
		if got := customersNamed(t, s, stacktest.RepAna, "华北新材料"); len(got) != 0 {
			t.Fatalf("the preview created %v", got)
		}
	})

	t.Run("Chinese", func(t *testing.T) {
		p := upload(t, ana, "客户.csv", file, "Accept-Language", "zh-CN,zh;q=0.9")
		text := textOf(p.Body)
		for _, want := range []string{"按 GBK（GB18030） 读取", "行无效，将被跳过", "与文件第 2 行重复（名称相同）", "邮箱 contacts[0].email: 不是有效的电子邮箱地址"} {
			if !strings.Contains(text, want) {
				t.Errorf("the Chinese preview lacks %q:\n%s", want, text)
			}
		}
		if strings.Contains(p.Body, "importer.") {
			t.Errorf("a message id shows in Chinese:\n%s", p.Body)
		}
		if g := get(t, ana, "/import", "Accept-Language", "zh-CN"); !strings.Contains(g.Body, "从文件导入客户") || strings.Contains(g.Body, "importer.") {
			t.Errorf("the Chinese upload page:\n%s", g.Body)
		}
	})

	t.Run("confirm imports once, however often it is posted", func(t *testing.T) {
		form := confirmForm(t, preview, "all")
		for i := range 2 {
			p := ana.Post("/import/confirm", form)
			if p.Status != 200 || !strings.Contains(textOf(p.Body), "1 customer created") {
				t.Fatalf("confirm %d: %d\n%s", i+1, p.Status, textOf(p.Body))
			}
		}
		got := customersNamed(t, s, stacktest.RepAna, "华北新材料")
		if len(got) != 1 {
			t.Fatalf("%d customers named 华北新材料 after two confirms; want 1", len(got))
		}
		// With its contact, and the import is in its audit trail as a create by the rep.
		c := s.Call("GET", "/v1/customers/"+got[0]["id"].(string), stacktest.RepAna, nil)
		if !strings.Contains(string(c.Body), "wang@huabei.example") {
			t.Fatalf("the contact was not imported: %s", c.Body)
		}
		audit := s.Call("GET", "/v1/customers/"+got[0]["id"].(string)+"/audit", stacktest.MgrMia, nil)
		if audit.Status != 200 || !strings.Contains(string(audit.Body), `"create"`) || !strings.Contains(string(audit.Body), stacktest.RepAna) {
			t.Fatalf("audit: %d %s", audit.Status, audit.Body)
		}
		// Checking only row 2 (row 3 is a duplicate, it cannot be chosen) is
		// the same choice: the same answer.
		other := confirmForm(t, preview, "selected", "2", "3")
		other.Set("_idem", form.Get("_idem"))
		if p := ana.Post("/import/confirm", other); p.Status != 200 || !strings.Contains(textOf(p.Body), "1 customer created") {
			t.Fatalf("same rows under the same key: %d\n%s", p.Status, textOf(p.Body))
		}
	})

	t.Run("another choice of rows from the same preview imports the rest, once", func(t *testing.T) {
		two := upload(t, ana, "two.csv", []byte("name,region,industry\r\nTwin Peaks Paper,north,paper\r\nTwin Lakes Glass,north,glass\r\n"))
		first := confirmForm(t, two, "selected", "2")
		if p := ana.Post("/import/confirm", first); p.Status != 200 || !strings.Contains(textOf(p.Body), "1 customer created") {
			t.Fatalf("row 2: %d\n%s", p.Status, textOf(p.Body))
		}
		// Back to the preview, all rows, the same form key.
		all := confirmForm(t, two, "all")
		for range 2 {
			p := ana.Post("/import/confirm", all)
			if text := textOf(p.Body); p.Status != 200 || !strings.Contains(text, "1 customer created") || !strings.Contains(text, "1 duplicate skipped") {
				t.Fatalf("all rows after row 2: %d\n%s", p.Status, text)
			}
		}
		if a, b := customersNamed(t, s, stacktest.RepAna, "Twin Peaks"), customersNamed(t, s, stacktest.RepAna, "Twin Lakes"); len(a) != 1 || len(b) != 1 {
			t.Fatalf("%d Twin Peaks and %d Twin Lakes; want one of each", len(a), len(b))
		}
	})

	t.Run("a choice of no rows, a changed or someone else's preview are refused", func(t *testing.T) {
		form := confirmForm(t, preview, "selected")
		p := ana.Post("/import/confirm", form)
		if p.Status != 422 || !strings.Contains(textOf(p.Body), "Check at least one new row, or import all new rows.") {
			t.Fatalf("no rows checked: %d\n%s", p.Status, textOf(p.Body))
		}
		tampered := confirmForm(t, preview, "all")
		v := []byte(tampered.Get("preview"))
		v[len(v)/2] ^= 1
		tampered.Set("preview", string(v))
		if p := ana.Post("/import/confirm", tampered); p.Status != 400 || !strings.Contains(p.Body, "This preview has expired or belongs to another sign-in.") {
			t.Fatalf("a changed preview: %d\n%s", p.Status, textOf(p.Body))
		}
		mia := s.Client(t, stacktest.MgrMia)
		if p := mia.Post("/import/confirm", confirmForm(t, preview, "all")); p.Status != 400 {
			t.Fatalf("the manager posted the rep's preview: %d\n%s", p.Status, textOf(p.Body))
		}
	})

	t.Run("files that cannot be read say why next to the file", func(t *testing.T) {
		cases := []struct {
			name, file, want string
			status           int
		}{
			{"book.xlsx", "PK\x03\x04rest of a zip", "This is an Excel workbook, not a CSV file.", 422},
			{"c.csv", "公司,电话\r\nA,1\r\n", "The file has no column for: Region (region), Industry (industry).", 422},
			{"c.csv", "name,region,industry\r\n", "The file has no rows to import", 422},
			{"c.csv", "name,region,industry\r\n\"open,north,steel\r\n", "Row 2 opens a quoted cell", 422},
		}
		for _, tc := range cases {
			p := upload(t, ana, tc.name, []byte(tc.file))
			if p.Status != tc.status || !strings.Contains(p.Body, tc.want) || !strings.Contains(p.Body, `aria-invalid="true"`) {
				t.Errorf("%s: %d\n%s", tc.name, p.Status, textOf(p.Body))
			}
		}
	})

	t.Run("export holds the user's scope and imports again as duplicates", func(t *testing.T) {
		resp := get(t, ana, "/customers/export.csv")
		if resp.Status != 200 || !strings.HasPrefix(resp.Body, "\xEF\xBB\xBF") {
			t.Fatalf("export: %d %q", resp.Status, resp.Body[:min(len(resp.Body), 200)])
		}
		wantName := "customers-" + time.Now().In(mustZone(t, "Asia/Shanghai")).Format("2006-01-02") + ".csv"
		if cd := resp.Header.Get("Content-Disposition"); cd != `attachment; filename="`+wantName+`"` {
			t.Errorf("Content-Disposition %q", cd)
		}
		if !strings.HasPrefix(resp.Body, "\xEF\xBB\xBFexternal_ref,name,tax_id,region,industry,owner_id,team,") {
			t.Errorf("header: %q", strings.SplitN(resp.Body, "\r\n", 2)[0])
		}
		if !strings.Contains(resp.Body, existing+",Existing Steel Works,") || !strings.Contains(resp.Body, "华北新材料有限公司") {
			t.Fatalf("the export lacks the rep's customers:\n%s", resp.Body)
		}
		if strings.Contains(resp.Body, "Boshan") || strings.Contains(resp.Body, south) {
			t.Fatal("the rep's export holds another rep's customer")
		}
		rows := strings.Count(resp.Body, "\r\n") - 1
		again := upload(t, ana, "export.csv", []byte(resp.Body))
		text := textOf(again.Body)
		if again.Status != 200 || !strings.Contains(text, "0 rows would be created") || strings.Contains(again.Body, `name="preview"`) {
			t.Fatalf("re-import of the export (%d rows): %d\n%s", rows, again.Status, text)
		}
		if !strings.Contains(text, pluralRows(rows)+" duplicates and would be skipped") {
			t.Fatalf("re-import of the export: not all %d rows are duplicates:\n%s", rows, text)
		}
		// A list longer than an export may be is refused with a page, not cut off.
		restore := importer.SetMaxExport(1)
		tooMany := get(t, ana, "/customers/export.csv")
		restore()
		if tooMany.Status != 422 || !strings.Contains(tooMany.Body, "An export holds at most 1 customers.") || strings.Contains(tooMany.Header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("an export over the limit: %d %s\n%s", tooMany.Status, tooMany.Header.Get("Content-Disposition"), textOf(tooMany.Body))
		}
		// The list's filter applies.
		if f := get(t, ana, "/customers/export.csv?q=Existing"); strings.Contains(f.Body, "华北新材料") || !strings.Contains(f.Body, "Existing Steel Works") {
			t.Fatalf("filtered export:\n%s", f.Body)
		}
	})

	t.Run("in a browser", func(t *testing.T) { browse(t, s) })

	t.Run("who may use the page", func(t *testing.T) {
		if p := s.Client(t, stacktest.MgrMia).Get("/import"); p.Status != 200 || !strings.Contains(p.Body, `type="file"`) {
			t.Fatalf("manager: %d", p.Status)
		}
		ali := s.Client(t, stacktest.Analyst)
		if p := ali.Get("/import"); p.Status != 403 || !strings.Contains(p.Body, "This page is not for your role") {
			t.Fatalf("analyst: %d\n%s", p.Status, p.Body)
		}
		if p := ali.Get("/customers/export.csv"); p.Status != 403 {
			t.Fatalf("analyst export: %d", p.Status)
		}
	})
}

func pluralRows(n int) string {
	if n == 1 {
		return "1 row is"
	}
	return strconv.Itoa(n) + " rows are"
}

func get(t *testing.T, c *webtest.Client, path string, headers ...string) webtest.Page {
	t.Helper()
	return c.Get(path, headers...)
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
