package importer_test

import (
	"fmt"
	"html"
	"net/url"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/closeloop/closeloop/services/internal/stacktest"
	"github.com/closeloop/closeloop/services/web/internal/pages/importer"
	"github.com/closeloop/closeloop/services/web/webtest"
)

// A large file goes through: the preview judges it in dry runs of 5,000,
// its sealed new rows fit the confirm form, and the import — in blocks of
// 1,000, over several requests that each stop at the time budget and go on
// with the same form — creates every customer once; the same confirmation
// posted again creates nothing. Timings, the sealed size and the heap are
// logged. 6,000 rows with a 1 ms budget by default (every request then
// imports one block and pauses, whatever the machine's speed); IMPORT_SCALE_ROWS=100000
// runs the largest file a user may upload with the real budget. Skipped
// with -short.
func TestImportLargeFile(t *testing.T) {
	if testing.Short() {
		t.Skip("imports thousands of customers")
	}
	rows := 6_000
	if n, err := strconv.Atoi(os.Getenv("IMPORT_SCALE_ROWS")); err == nil && n > 0 {
		rows = n
	} else {
		defer importer.SetBudget(time.Millisecond)()
	}
	s := webtest.New(t, webtest.Opts{NoTemporal: true})
	ana := s.Client(t, stacktest.RepAna)

	var b strings.Builder
	b.WriteString("客户名称,统一社会信用代码,地区,行业,电话,地址,联系人,邮箱,手机,年收入(万元)\r\n")
	for i := range rows {
		fmt.Fprintf(&b, "华北规模测试%06d有限公司,91110000%010d,north,steel,010-6%07d,北京市朝阳区建国路%d号,联系人%d,c%d@scale.example,138%08d,%d.5\r\n",
			i, i, i, i%999, i, i, i, i%1000)
	}
	file := gbk(t, b.String())
	t.Logf("file: %d rows, %.1f MiB in GBK", rows, float64(len(file))/(1<<20))

	var peak atomic.Uint64
	stop := make(chan struct{})
	go func() {
		var m runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
				runtime.ReadMemStats(&m)
				if m.HeapInuse > peak.Load() {
					peak.Store(m.HeapInuse)
				}
			}
		}
	}()
	defer close(stop)

	t0 := time.Now()
	p := upload(t, ana, "scale.csv", file)
	if p.Status != 200 || !strings.Contains(textOf(p.Body), fmt.Sprintf("%s rows would be created", grouped(rows))) {
		t.Fatalf("preview: %d\n%.3000s", p.Status, textOf(p.Body))
	}
	if !strings.Contains(p.Body, "the preview judged it in blocks of 5,000") {
		t.Error("the preview of a file over 5,000 rows does not say that it was judged in blocks")
	}
	form := confirmForm(t, p, "all")
	t.Logf("preview: %s, page %.1f MiB, sealed rows %.1f MiB; heap in use at most %d MiB (the test's services included)",
		time.Since(t0).Round(time.Millisecond), float64(len(p.Body))/(1<<20), float64(len(form.Get("preview")))/(1<<20), peak.Load()>>20)

	t0 = time.Now()
	r, posts := confirmAll(t, ana, form)
	if want := (rows + 999) / 1000; os.Getenv("IMPORT_SCALE_ROWS") == "" && posts != want {
		t.Errorf("the import took %d requests with a 1 ms budget; want one per block of 1,000 rows: %d", posts, want)
	}
	if r.Status != 200 || !strings.Contains(textOf(r.Body), fmt.Sprintf("%s customers created", grouped(rows))) {
		t.Fatalf("confirm: %d\n%.3000s", r.Status, textOf(r.Body))
	}
	t.Logf("import: %s in %d requests; heap in use at most %d MiB", time.Since(t0).Round(time.Millisecond), posts, peak.Load()>>20)

	// Again: every block is answered from the service's record.
	t0 = time.Now()
	if r, posts := confirmAll(t, ana, form); r.Status != 200 || !strings.Contains(textOf(r.Body), fmt.Sprintf("%s customers created", grouped(rows))) {
		t.Fatalf("second confirm: %d\n%.3000s", r.Status, textOf(r.Body))
	} else {
		t.Logf("the same confirm again: %s in %d requests", time.Since(t0).Round(time.Millisecond), posts)
	}
	var n int64
	if err := s.App.Deps().DB.Raw("SELECT count(*) FROM customers WHERE name LIKE '华北规模测试%'").Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	if n != int64(rows) {
		t.Fatalf("%d customers in the database; want %d", n, rows)
	}
}

// confirmAll posts a confirm form and, while the answer says the import
// continues (as the page's script does), posts it again.
func confirmAll(t *testing.T, c *webtest.Client, form url.Values) (webtest.Page, int) {
	t.Helper()
	for n := 1; ; n++ {
		p := c.Post("/import/confirm", form, "HX-Request", "true", "HX-Target", "main")
		m := continueRE.FindStringSubmatch(p.Body)
		if p.Status != 200 || m == nil {
			return p, n
		}
		if n > 200 {
			t.Fatal("the import does not end")
		}
		// Go on as the page does: post its continue form (it carries the
		// tally of the blocks done so far).
		form = url.Values{}
		for _, f := range hiddenRE.FindAllStringSubmatch(m[1], -1) {
			form.Add(html.UnescapeString(f[1]), html.UnescapeString(f[2]))
		}
	}
}

var (
	continueRE = regexp.MustCompile(`(?s)<form [^>]*class="import-continue"[^>]*>(.*?)</form>`)
	hiddenRE   = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
)

// grouped writes n with thousands separators, as the English page does.
func grouped(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
