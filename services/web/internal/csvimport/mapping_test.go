package csvimport

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestMapHeader(t *testing.T) {
	cases := []struct {
		name      string
		header    []string
		fields    []string
		unknown   []string
		missing   []string
		duplicate []string
	}{
		{"English, as people write it", []string{"Company Name", "TAX_ID", "Region*", "Industry", "E-mail", "Notes"},
			[]string{"name", "tax_id", "region", "industry", "contact_email", ""}, []string{"Notes"}, nil, nil},
		{"the API's own names", []string{"name", "region", "industry", "owner_id", "lifecycle_stage", "annual_marketing_cost", "contact_mobile"},
			[]string{"name", "region", "industry", "owner_id", "lifecycle_stage", "annual_marketing_cost", "contact_mobile"}, nil, nil, nil},
		{"Simplified Chinese", []string{"客户名称", "统一社会信用代码", "所属区域", "行业", "电话", "联系人电话", "手机", "年收入（万元）", "备注"},
			[]string{"name", "tax_id", "region", "industry", "phone", "contact_phone", "contact_mobile", "annual_revenue", ""}, []string{"备注"}, nil, nil},
		{"full-width letters and spaces", []string{"Ｎａｍｅ", "地　区", "行业"}, []string{"name", "region", "industry"}, nil, nil, nil},
		{"missing required columns", []string{"名称", "电话", ""}, []string{"name", "phone", ""}, nil, []string{"region", "industry"}, nil},
		{"one field twice", []string{"名称", "客户名称", "地区", "行业"}, []string{"name", "", "region", "industry"}, nil, nil, []string{"客户名称"}},
		{"an unknown money unit", []string{"名称", "地区", "行业", "年收入(美元)"}, []string{"name", "region", "industry", ""}, []string{"年收入(美元)"}, nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := MapHeader(tc.header)
			var fields []string
			for _, c := range m.Columns {
				fields = append(fields, c.Field)
			}
			if !slices.Equal(fields, tc.fields) || !slices.Equal(m.Unknown, tc.unknown) || !slices.Equal(m.Missing, tc.missing) || !slices.Equal(m.Duplicate, tc.duplicate) {
				t.Fatalf("got fields %q unknown %q missing %q duplicate %q", fields, m.Unknown, m.Missing, m.Duplicate)
			}
			var e *Error
			switch err := m.Err(); {
			case len(tc.missing) > 0:
				if !errors.As(err, &e) || e.Code != "missing_columns" || !slices.Equal(e.Columns, tc.missing) {
					t.Fatalf("err %v", err)
				}
			case len(tc.duplicate) > 0:
				if !errors.As(err, &e) || e.Code != "duplicate_columns" {
					t.Fatalf("err %v", err)
				}
			case err != nil:
				t.Fatalf("err %v", err)
			}
		})
	}
	if m := MapHeader([]string{"年收入(万元)", "营销成本(元)"}); m.Columns[0].Scale != 1e4 || m.Columns[1].Scale != 1 || m.Columns[1].Field != "annual_marketing_cost" {
		t.Fatalf("units: %+v", m.Columns)
	}
}

// rowsOf parses a fixture and maps its rows.
func rowsOf(t *testing.T, file string) (Mapping, []Row) {
	t.Helper()
	tab := parseFile(t, file)
	m := MapHeader(tab.Header)
	if err := m.Err(); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return m, m.Rows(tab)
}

// errorsOf is "field:code" of a row's errors.
func errorsOf(r Row) []string {
	var out []string
	for _, e := range r.Errors {
		out = append(out, e.Field+":"+e.Code)
	}
	return out
}

func TestRowsFromFixtures(t *testing.T) {
	t.Run("English, UTF-8", func(t *testing.T) {
		m, rows := rowsOf(t, "testdata/customers_en.csv")
		if !slices.Equal(m.Unknown, []string{"Notes"}) {
			t.Fatalf("unknown %q", m.Unknown)
		}
		acme := rows[0]
		want := Customer{Name: "Acme Trading", TaxID: "91310000MA1FL0001X", Region: "east", Industry: "retail", Phone: "+86 21 5555 0001",
			Address: "88 Century Ave, \"Tower A\"\nPudong, Shanghai", AnnualRevenue: 1234567.5, YearsOfBusiness: 12,
			Contacts: []Contact{{Name: "Li Wei", Email: "li.wei@acme.example", Mobile: "13800138000", IsPrimary: true}}}
		if acme.Row != 2 || len(acme.Errors) != 0 || !equalJSON(acme.Customer, want) {
			t.Fatalf("row 2: %+v", acme)
		}
		globex := rows[1]
		if globex.Row != 4 || !slices.Equal(errorsOf(globex), []string{"phone:scientific_notation", "annual_revenue:invalid_number", "years_of_business:invalid_integer"}) {
			t.Fatalf("row 4: %+v", globex)
		}
		if e := globex.Errors[1]; e.Row != 4 || e.Column != "Annual Revenue" || e.Value != "lots" || !strings.Contains(e.Error(), "row 4, Annual Revenue") {
			t.Fatalf("field error: %+v", e)
		}
		if globex.Customer.Contacts != nil {
			t.Fatalf("a row without contact cells has no contact: %+v", globex.Customer)
		}
		// A formula-looking name arrives as written: it is the customer service's to judge.
		if rows[2].Row != 6 || rows[2].Customer.Name != `=HYPERLINK("http://x")` {
			t.Fatalf("row 6: %+v", rows[2])
		}
	})
	t.Run("Chinese, UTF-8 with BOM, semicolons", func(t *testing.T) {
		_, rows := rowsOf(t, "testdata/customers_zh_bom.csv")
		want := Customer{Name: "上海示例贸易有限公司", TaxID: "91310000MA1FL0002Y", Region: "华东", Industry: "零售", LifecycleStage: "prospect",
			RelationshipStage: "exploration", AnnualRevenue: 15000, YearsOfBusiness: 3,
			Contacts: []Contact{{Name: "王芳", Birthday: "1980-05-01", Email: "wang.fang@example.cn", IsPrimary: true}}}
		if len(rows[0].Errors) != 0 || !equalJSON(rows[0].Customer, want) {
			t.Fatalf("row 2: %+v", rows[0])
		}
		if c := rows[1].Customer; c.LifecycleStage != "transacting" || c.RelationshipStage != "stability" ||
			!slices.Equal(errorsOf(rows[1]), []string{"contacts[0].birthday:invalid_date"}) {
			t.Fatalf("row 3: %+v", rows[1])
		}
		if !slices.Equal(errorsOf(rows[2]), []string{"lifecycle_stage:invalid_choice", "years_of_business:invalid_integer"}) || rows[2].Customer.AnnualRevenue != 120000 {
			t.Fatalf("row 4: %+v", rows[2])
		}
		if msg := rows[2].Errors[0].Message; !strings.Contains(msg, "lead, lost, prospect, service, transacting") {
			t.Fatalf("the allowed stages: %s", msg)
		}
	})
	t.Run("Chinese, GBK", func(t *testing.T) {
		m, rows := rowsOf(t, "testdata/customers_gbk.csv")
		if !slices.Equal(m.Unknown, []string{"备注"}) {
			t.Fatalf("unknown %q", m.Unknown)
		}
		want := Customer{Name: "杭州示例电子有限公司", TaxID: "91330100MA2B00001Z", Region: "华东", Industry: "电子", Phone: "0571-8888 0001",
			Address: `浙江省杭州市西湖区文三路 1 号,"A 座"`, AnnualRevenue: 500000, OwnerID: "rep-ana", Team: "north"}
		if len(rows[0].Errors) != 0 || !equalJSON(rows[0].Customer, want) {
			t.Fatalf("row 2: %+v", rows[0])
		}
		if c := rows[1].Customer; rows[1].Row != 3 || c.AnnualRevenue != 2_000_000 || c.Address != "广东省深圳市\n南山区科技园" || c.OwnerID != "rep-bo" {
			t.Fatalf("row 3: %+v", rows[1])
		}
	})
	t.Run("UTF-16, tabs", func(t *testing.T) {
		_, rows := rowsOf(t, "testdata/customers_utf16.txt")
		if c := rows[0].Customer; c.Name != "Tab Separated Ltd" || len(c.Contacts) != 1 || c.Contacts[0].Email != "ann@tab.example" {
			t.Fatalf("row 2: %+v", rows[0])
		}
	})
}

func TestRowCells(t *testing.T) {
	m := MapHeader([]string{"名称", "地区", "行业", "", "Notes"})
	r := m.Row(Record{Row: 7, Values: []string{"  'Acme  ", "north", "steel", "", "x", "stray"}})
	if r.Customer.Name != "'Acme" || r.Customer.Region != "north" {
		t.Fatalf("cells are trimmed, an apostrophe not before a formula stays: %+v", r.Customer)
	}
	if !slices.Equal(errorsOf(r), []string{":extra_cell"}) || r.Errors[0].Column != "column F" || r.Errors[0].Row != 7 {
		t.Fatalf("a cell right of the header: %+v", r.Errors)
	}
	r = m.Row(Record{Row: 8, Values: []string{"'=1+2", "north"}})
	if r.Customer.Name != "=1+2" || r.Customer.Industry != "" || len(r.Errors) != 0 {
		t.Fatalf("the export's formula guard is undone; missing cells are empty: %+v", r)
	}
	if got := []string{columnLetters(0), columnLetters(25), columnLetters(26), columnLetters(701), columnLetters(702)}; !slices.Equal(got, []string{"A", "Z", "AA", "ZZ", "AAA"}) {
		t.Fatalf("column letters %q", got)
	}
}

func TestValues(t *testing.T) {
	money1 := []struct {
		in    string
		scale float64
		want  float64
		ok    bool
	}{
		{"1234.5", 1, 1234.5, true}, {"1,234.50", 1, 1234.5, true}, {"1.234,50", 1, 1234.5, true}, {"1,234,567", 1, 1234567, true},
		{"1,5", 1, 1.5, true}, {"1,500", 1, 1500, true}, {"¥ 1 234", 1, 1234, true}, {"￥２，０００", 1, 2000, true}, {"12.5万", 1, 125000, true},
		{"3元", 1, 3, true}, {"2", 1e4, 20000, true}, {"-5", 1, -5, true}, {"", 1, 0, true},
		{"lots", 1, 0, false}, {"1.2.3", 1, 0, false}, {"NaN", 1, 0, false}, {"1e999", 1, 0, false},
	}
	for _, tc := range money1 {
		failed := false
		got := money(tc.in, tc.scale, func(code, msg string) { failed = code == "invalid_number" })
		if got != tc.want || failed == tc.ok {
			t.Errorf("money(%q, %g) = %v (failed %v), want %v", tc.in, tc.scale, got, failed, tc.want)
		}
	}
	for in, want := range map[string]string{"1980-05-01": "1980-05-01", "1980/5/1": "1980-05-01", "1980.5.1": "1980-05-01", "1980年5月1日": "1980-05-01", "１９８０年５月１日": "1980-05-01",
		"1980-02-30": "", "5/1/1980": "", "1980-13-01": "", "yesterday": ""} {
		failed := false
		got := date(in, func(code, msg string) { failed = code == "invalid_date" })
		if got != want || failed != (want == "") {
			t.Errorf("date(%q) = %q (failed %v), want %q", in, got, failed, want)
		}
	}
	for in, want := range map[string]int{"12": 12, "12年": 12, "12.0": 12, "": 0, "12.5": -1, "x": -1} {
		failed := false
		got := years(in, func(code, msg string) { failed = code == "invalid_integer" })
		if (want >= 0 && (got != want || failed)) || (want < 0 && !failed) {
			t.Errorf("years(%q) = %d (failed %v)", in, got, failed)
		}
	}
	for in, want := range map[string]string{"Lead": "lead", "线索": "lead", "潜在客户": "prospect", "成交": "transacting", "售后": "service", "流失": "lost", "ＬＯＳＴ": "lost"} {
		if got := choice(in, lifecycleStages, func(string, string) { t.Errorf("%q refused", in) }); got != want {
			t.Errorf("stage %q = %q, want %q", in, got, want)
		}
	}
	for in, ok := range map[string]bool{"1.38001E+10": false, "9.13E+17": false, "13800138000": true, "+86 138 0013 8000": true, "91310000MA1FL0001X": true} {
		failed := false
		digitsText(in, func(code, msg string) { failed = code == "scientific_notation" })
		if failed == ok {
			t.Errorf("digitsText(%q): failed %v", in, failed)
		}
	}
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// A row marshals as the import endpoint's row.
func TestCustomerJSON(t *testing.T) {
	raw, err := json.Marshal(Customer{Name: "Acme", Region: "north", Industry: "steel", AnnualRevenue: 10,
		Contacts: []Contact{{Name: "Li", Email: "li@acme.example", IsPrimary: true}}})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"name":"Acme","region":"north","industry":"steel","annual_revenue":10,"contacts":[{"name":"Li","email":"li@acme.example","is_primary":true}]}`
	if string(raw) != want {
		t.Fatalf("%s", raw)
	}
}
