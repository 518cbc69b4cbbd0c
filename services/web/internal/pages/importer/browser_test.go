package importer_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/closeloop/closeloop/services/internal/stacktest"
	"github.com/closeloop/closeloop/services/web/internal/pages/importer"
	"github.com/closeloop/closeloop/services/web/webtest"
)

// browse is the page's main interaction in Chromium, on the stack of
// TestImportAndExport: a rep chooses a file, reads the preview (a new row,
// a duplicate of its customer with a link, an invalid row with its column
// and reason), imports the new row and reads the result. The upload page,
// the preview and the result pass axe-core at 1280 px and at phone width,
// in English and Chinese.
func browse(t *testing.T, s *webtest.Stack) {
	existing := s.Create("rep-cy", stacktest.Company(map[string]any{"name": "Cyan Harbour Logistics"}))
	file := filepath.Join(t.TempDir(), "customers.csv")
	content := "\ufeffname,region,industry,contact_name,contact_email\r\n" +
		"Jade River Foods,north,food,Zhou Min,zhou@jaderiver.example\r\n" +
		"Cyan Harbour Logistics,north,logistics,,\r\n" +
		"Broken Mail Trading,north,retail,Li Lei,not-an-email\r\n"
	if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}

	b := s.Browser(t)
	tab := b.SignIn("rep-cy", "en")
	tab.Open("/import")
	tab.Accessible("the upload page")
	tab.Screenshot("import")

	tab.Do("upload the file",
		chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{file}),
		chromedp.Click(chromedp.CSS(`form.import-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(".import-summary")),
	)
	preview := tab.Text("main")
	for _, want := range []string{"Preview of customers.csv", "Jade River Foods", "Already a customer (same name): open it", "is not a valid email address"} {
		if !strings.Contains(preview, want) {
			t.Fatalf("the preview lacks %q:\n%s", want, preview)
		}
	}
	if href := webtest.Get(tab, "duplicate link", chromedp.Evaluate[string](`document.querySelector('main td a[href^="/customers/"]').getAttribute('href')`)); href != "/customers/"+existing {
		t.Fatalf("the duplicate links %q, want /customers/%s", href, existing)
	}
	tab.Accessible("the preview")
	tab.Screenshot("import-preview")
	tab.Viewport(375, 812, true)
	tab.Accessible("the preview at phone width")
	tab.Screenshot("import-preview-phone")
	tab.Viewport(1280, 900, false)

	tab.Do("import the new row",
		chromedp.Click(chromedp.CSS(`button[name=mode][value=all]`)),
		chromedp.WaitVisible(chromedp.CSS(`#h-created`)),
	)
	if got := tab.Text("main"); !strings.Contains(got, "1 customer created") || !strings.Contains(got, "Open Jade River Foods") {
		t.Fatalf("the result:\n%s", got)
	}
	tab.Accessible("the result")
	tab.Screenshot("import-result")

	// A file of two blocks with a budget that ends after the first: the
	// page shows its progress and goes on by itself (htmx) to the end.
	var big strings.Builder
	big.WriteString("name,region,industry\r\n")
	for i := range 1100 {
		fmt.Fprintf(&big, "Cyan Batch %04d Ltd,north,retail\r\n", i)
	}
	bigFile := filepath.Join(t.TempDir(), "batch.csv")
	if err := os.WriteFile(bigFile, []byte(big.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	restore := importer.SetBudget(time.Nanosecond)
	defer restore()
	tab.Open("/import")
	tab.Do("upload a file of two blocks",
		chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{bigFile}),
		chromedp.Click(chromedp.CSS(`form.import-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(".import-summary")),
		chromedp.Click(chromedp.CSS(`button[name=mode][value=all]`)),
		chromedp.WaitVisible(chromedp.CSS(`#h-created`)),
	)
	// The first answer paused after 1,000 rows; the page went on by itself.
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(tab.Text("main"), "1,100 customers created") {
		if time.Now().After(deadline) {
			t.Fatalf("the import did not go on by itself:\n%s", tab.Text("main"))
		}
		time.Sleep(200 * time.Millisecond)
	}
	restore()

	zh := b.SignIn("rep-cy", "zh-CN")
	zh.Open("/import")
	if zh.Lang() != "zh-Hans" {
		t.Fatalf("lang %q", zh.Lang())
	}
	zh.Do("upload the file again",
		chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{file}),
		chromedp.Click(chromedp.CSS(`form.import-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(".import-summary")),
	)
	if got := zh.Text("main"); !strings.Contains(got, "已是客户（名称相同）") || strings.Contains(got, "importer.") {
		t.Fatalf("the Chinese preview:\n%s", got)
	}
	zh.Accessible("the Chinese preview")
	zh.Screenshot("import-preview-zh")
	zh.Viewport(375, 812, true)
	zh.Open("/import")
	zh.Accessible("the Chinese upload page at phone width")
}
