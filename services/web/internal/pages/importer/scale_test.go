package importer_test

import (
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/closeloop/closeloop/services/internal/stacktest"
	"github.com/closeloop/closeloop/services/web/webtest"
)

// A file of 100,000 rows (the most a file may have) goes through: the
// preview judges it in 20 dry runs, its sealed new rows fit the confirm
// form, and the import creates every customer once. Timings, the sealed
// size and the console's heap are logged. Skipped with -short.
func TestImport100000Rows(t *testing.T) {
	if testing.Short() {
		t.Skip("imports 100,000 customers")
	}
	const rows = 100_000
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
	if p.Status != 200 || !strings.Contains(textOf(p.Body), "100,000 rows would be created") {
		t.Fatalf("preview: %d\n%.3000s", p.Status, textOf(p.Body))
	}
	form := confirmForm(t, p, "all")
	t.Logf("preview: %s, page %.1f MiB, sealed rows %.1f MiB; heap in use at most %d MiB (the test's services included)",
		time.Since(t0).Round(time.Millisecond), float64(len(p.Body))/(1<<20), float64(len(form.Get("preview")))/(1<<20), peak.Load()>>20)

	t0 = time.Now()
	r, posts := confirmAll(t, ana, form)
	if r.Status != 200 || !strings.Contains(textOf(r.Body), "100,000 customers created") {
		t.Fatalf("confirm: %d\n%.3000s", r.Status, textOf(r.Body))
	}
	t.Logf("import: %s in %d requests; heap in use at most %d MiB", time.Since(t0).Round(time.Millisecond), posts, peak.Load()>>20)

	// Again: every block is answered from the service's record.
	t0 = time.Now()
	if r, posts := confirmAll(t, ana, form); r.Status != 200 || !strings.Contains(textOf(r.Body), "100,000 customers created") {
		t.Fatalf("second confirm: %d\n%.3000s", r.Status, textOf(r.Body))
	} else {
		t.Logf("the same confirm again: %s in %d requests", time.Since(t0).Round(time.Millisecond), posts)
	}
	var n int64
	if err := s.App.Deps().DB.Raw("SELECT count(*) FROM customers WHERE name LIKE '华北规模测试%'").Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	if n != rows {
		t.Fatalf("%d customers in the database; want %d", n, rows)
	}
}

// confirmAll posts a confirm form and, while the answer says the import
// continues (as the page's script does), posts it again.
func confirmAll(t *testing.T, c *webtest.Client, form url.Values) (webtest.Page, int) {
	t.Helper()
	for n := 1; ; n++ {
		p := c.Post("/import/confirm", form, "HX-Request", "true", "HX-Target", "main")
		if p.Status != 200 || !strings.Contains(p.Body, `class="import-continue"`) {
			return p, n
		}
		if n > 50 {
			t.Fatal("the import does not end")
		}
	}
}
