package csvimport

import (
	"bytes"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
)

func parseFile(t *testing.T, name string) *Table {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tab, err := Parse(f)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return tab
}

func TestParseFixtures(t *testing.T) {
	cases := []struct {
		file      string
		encoding  string
		delimiter rune
		header    []string
		rows      []int // Excel row numbers of the records
		cell      [3]int
		value     string
	}{
		{"testdata/customers_en.csv", "utf-8", ',',
			[]string{"Customer Name", "Tax ID", "Region", "Industry", "Phone", "Address", "Annual Revenue", "Years", "Contact", "Email", "Mobile", "Notes"},
			// Row 2's address holds a line break: row 3 is the empty line, row 5 only commas.
			[]int{2, 4, 6}, [3]int{0, 5}, "88 Century Ave, \"Tower A\"\nPudong, Shanghai"},
		{"testdata/customers_zh_bom.csv", "utf-8-bom", ';',
			[]string{"客户名称", "税号", "地区", "行业", "生命周期阶段", "关系阶段", "年收入(万元)", "合作年限", "联系人", "联系人生日", "电子邮件"},
			// The "sep=;" line is Excel's, not a row.
			[]int{2, 3, 4}, [3]int{0, 6}, "1,5"},
		{"testdata/customers_gbk.csv", "gb18030", ',',
			[]string{"名称", "税号", "地区", "行业", "电话", "地址", "年收入", "负责人", "团队", "备注"},
			[]int{2, 3}, [3]int{1, 5}, "广东省深圳市\n南山区科技园"},
		{"testdata/customers_utf16.txt", "utf-16le", '\t',
			[]string{"Name", "Region", "Industry", "Contact", "E-mail"},
			// A quote inside an unquoted cell is an ordinary character.
			[]int{2, 3}, [3]int{1, 0}, `Another "Quoted" Co`},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			tab := parseFile(t, tc.file)
			if tab.Encoding != tc.encoding || tab.Delimiter != tc.delimiter || tab.HeaderRow != 1 {
				t.Errorf("read as %s, %q, header row %d", tab.Encoding, tab.Delimiter, tab.HeaderRow)
			}
			if !slices.Equal(tab.Header, tc.header) {
				t.Errorf("header %q", tab.Header)
			}
			var rows []int
			for _, r := range tab.Records {
				rows = append(rows, r.Row)
			}
			if !slices.Equal(rows, tc.rows) {
				t.Errorf("rows %v, want %v", rows, tc.rows)
			}
			if got := tab.Records[tc.cell[0]].Values[tc.cell[1]]; got != tc.value {
				t.Errorf("cell %v = %q, want %q", tc.cell, got, tc.value)
			}
		})
	}
}

func TestParseDialects(t *testing.T) {
	cases := []struct {
		name, in string
		delim    rune
		want     [][]string
	}{
		{"LF", "a,b\n1,2\n", ',', [][]string{{"1", "2"}}},
		{"CR only (old Mac Excel)", "a,b\r1,2\r3,4", ',', [][]string{{"1", "2"}, {"3", "4"}}},
		{"no final line break", "a;b\r\n1;2", ';', [][]string{{"1", "2"}}},
		{"quoted header with commas in a semicolon file", "\"x,y\";b;c\n1;2;3\n", ';', [][]string{{"1", "2", "3"}}},
		{"tab", "a\tb\n1\t\"2\t3\"\n", '\t', [][]string{{"1", "2\t3"}}},
		{"sep line", "sep=,\na;b,c\n1;2,3\n", ',', [][]string{{"1;2", "3"}}},
		{"text after a closing quote is kept", "a,b\n\"x\"y,2\n", ',', [][]string{{"xy", "2"}}},
		{"empty quoted cell and doubled quotes", "a,b\n\"\",\"say \"\"hi\"\"\"\n", ',', [][]string{{"", `say "hi"`}}},
		{"CRLF inside a cell is a line break", "a,b\r\n\"1\r\n2\",3\r\n", ',', [][]string{{"1\n2", "3"}}},
		{"short and long rows", "a,b,c\n1\n1,2,3,4\n", ',', [][]string{{"1"}, {"1", "2", "3", "4"}}},
		{"empty rows above the header", "\n,,\na,b\n1,2\n", ',', [][]string{{"1", "2"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tab, err := Parse(strings.NewReader(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if tab.Delimiter != tc.delim {
				t.Errorf("delimiter %q, want %q", tab.Delimiter, tc.delim)
			}
			var got [][]string
			for _, r := range tab.Records {
				got = append(got, r.Values)
			}
			if !slices.EqualFunc(got, tc.want, slices.Equal) {
				t.Errorf("records %q, want %q", got, tc.want)
			}
		})
	}
	tab, _ := Parse(strings.NewReader("\n,,\na,b\n1,2\n"))
	if tab.HeaderRow != 3 || tab.Records[0].Row != 4 {
		t.Errorf("rows under a header on row 3: header %d, first record %d", tab.HeaderRow, tab.Records[0].Row)
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name   string
		in     []byte
		limits Limits
		code   string
		row    int
	}{
		{"too many rows", []byte("a\n1\n2\n3\n"), Limits{MaxRows: 2, MaxBytes: 1 << 20}, "too_many_rows", 4},
		{"too large", bytes.Repeat([]byte("a,b\n"), 300), Limits{MaxRows: 10, MaxBytes: 1000}, "too_large", 0},
		{"empty", []byte(""), DefaultLimits, "empty", 0},
		{"only empty rows", []byte("\r\n,,\r\n"), DefaultLimits, "empty", 0},
		{"header only", []byte("name,region\r\n"), DefaultLimits, "empty", 0},
		{"unterminated quote", []byte("a,b\n1,2\n\"3,4\n5,6\n"), DefaultLimits, "unterminated_quote", 3},
		{"neither UTF-8 nor GB18030", []byte("a,b\n\x81\x20,2\n"), DefaultLimits, "bad_encoding", 0},
		{"a BOM on bytes that are not UTF-8", append(slices.Clone(bomUTF8), "a,\xff\n"...), DefaultLimits, "bad_encoding", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseLimits(bytes.NewReader(tc.in), tc.limits)
			var e *Error
			if !errors.As(err, &e) || e.Code != tc.code || e.Row != tc.row || e.Message == "" {
				t.Fatalf("got %#v (%v), want %s at row %d", e, err, tc.code, tc.row)
			}
		})
	}
	// Exactly at the limits is fine.
	if _, err := ParseLimits(strings.NewReader("a\n1\n2\n"), Limits{MaxRows: 2, MaxBytes: 6}); err != nil {
		t.Fatalf("at the limits: %v", err)
	}
}
