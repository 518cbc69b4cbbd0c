package csvimport

import (
	"bytes"
	"slices"
	"testing"
)

func TestWrite(t *testing.T) {
	header := []string{"客户名称", "地址", "年收入", "备注"}
	rows := [][]string{
		{"上海示例贸易有限公司", "88 Century Ave, \"Tower A\"\nPudong", "1234.5", " padded "},
		{"=HYPERLINK(\"http://x\")", "@SUM(A1)", "-2", "-2+3"},
		{"", "+86 21 5555", "", "plain"},
	}
	var b bytes.Buffer
	if err := Write(&b, header, rows); err != nil {
		t.Fatal(err)
	}
	want := "\xEF\xBB\xBF" +
		"客户名称,地址,年收入,备注\r\n" +
		"上海示例贸易有限公司,\"88 Century Ave, \"\"Tower A\"\"\nPudong\",1234.5,\" padded \"\r\n" +
		"\"'=HYPERLINK(\"\"http://x\"\")\",'@SUM(A1),-2,'-2+3\r\n" +
		",'+86 21 5555,,plain\r\n"
	if b.String() != want {
		t.Fatalf("got\n%q\nwant\n%q", b.String(), want)
	}

	// What Write writes, Parse reads back; the mapping undoes the formula guard.
	tab, err := Parse(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if tab.Encoding != "utf-8-bom" || !slices.Equal(tab.Header, header) || len(tab.Records) != len(rows) {
		t.Fatalf("read back: %+v", tab)
	}
	for i, r := range tab.Records {
		for j, v := range r.Values {
			if got := text(v); got != text(rows[i][j]) {
				t.Errorf("row %d cell %d: %q, want %q", i, j, got, rows[i][j])
			}
		}
	}
}
