package csvimport

import (
	"fmt"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// Customer is one row in the shape of POST /v1/customers/import's rows
// (marshal it as is). A file holds at most one contact per row.
type Customer struct {
	ExternalRef         string    `json:"external_ref,omitempty"`
	Name                string    `json:"name"`
	TaxID               string    `json:"tax_id,omitempty"`
	Region              string    `json:"region"`
	Industry            string    `json:"industry"`
	OwnerID             string    `json:"owner_id,omitempty"`
	Team                string    `json:"team,omitempty"`
	Website             string    `json:"website,omitempty"`
	Phone               string    `json:"phone,omitempty"`
	Address             string    `json:"address,omitempty"`
	LifecycleStage      string    `json:"lifecycle_stage,omitempty"`
	RelationshipStage   string    `json:"relationship_stage,omitempty"`
	AnnualRevenue       float64   `json:"annual_revenue,omitempty"`
	AnnualMarketingCost float64   `json:"annual_marketing_cost,omitempty"`
	YearsOfBusiness     int       `json:"years_of_business,omitempty"`
	Contacts            []Contact `json:"contacts,omitempty"`
}

// Contact is the row's contact person.
type Contact struct {
	Name       string `json:"name"`
	Title      string `json:"title,omitempty"`
	Department string `json:"department,omitempty"`
	Email      string `json:"email,omitempty"`
	Phone      string `json:"phone,omitempty"`
	Mobile     string `json:"mobile,omitempty"`
	Birthday   string `json:"birthday,omitempty"`
	IsPrimary  bool   `json:"is_primary"`
}

// Fields are the import fields a column can map to, in the order of an
// export's columns. contact_* fill the row's one contact.
var Fields = []string{
	"external_ref", "name", "tax_id", "region", "industry", "owner_id", "team", "website", "phone", "address",
	"lifecycle_stage", "relationship_stage", "annual_revenue", "annual_marketing_cost", "years_of_business",
	"contact_name", "contact_title", "contact_department", "contact_email", "contact_phone", "contact_mobile", "contact_birthday",
}

// Required are the fields a file must have a column for: the customer
// service requires them of every customer.
var Required = []string{"name", "region", "industry"}

// headerNames maps header names, as headerKey folds them, to fields: the
// field's own name and what people call it in English and Simplified Chinese.
var headerNames = func() map[string]string {
	names := map[string][]string{
		"external_ref":          {"external ref", "ref", "reference", "外部编号", "编号", "参考号", "序号"},
		"name":                  {"company", "company name", "customer", "customer name", "account", "account name", "名称", "客户名称", "公司名称", "企业名称", "客户", "公司", "单位名称"},
		"tax_id":                {"tax id", "tax no", "tax number", "vat", "vat id", "vat number", "uscc", "税号", "纳税人识别号", "统一社会信用代码", "信用代码"},
		"region":                {"area", "territory", "地区", "区域", "所属地区", "所属区域", "大区"},
		"industry":              {"sector", "行业", "所属行业"},
		"website":               {"web", "url", "homepage", "web site", "网站", "网址", "官网", "公司网站"},
		"phone":                 {"tel", "telephone", "company phone", "电话", "联系电话", "公司电话", "座机", "固定电话"},
		"address":               {"地址", "公司地址", "详细地址", "办公地址"},
		"owner_id":              {"owner", "owner id", "负责人", "负责人id", "客户负责人", "所有者"},
		"team":                  {"团队", "所属团队", "销售团队"},
		"lifecycle_stage":       {"stage", "lifecycle", "生命周期阶段", "生命周期", "客户阶段", "阶段"},
		"relationship_stage":    {"relationship", "关系阶段"},
		"annual_revenue":        {"revenue", "年收入", "年营业额", "年销售额", "营业额"},
		"annual_marketing_cost": {"marketing cost", "年营销成本", "营销成本", "年营销费用"},
		"years_of_business":     {"years", "合作年限", "合作年数", "往来年限"},
		"contact_name":          {"contact", "contact person", "联系人", "联系人姓名"},
		"contact_title":         {"title", "job title", "职务", "职位", "联系人职务"},
		"contact_department":    {"department", "部门", "联系人部门"},
		"contact_email":         {"email", "e-mail", "mail", "邮箱", "电子邮箱", "电子邮件", "联系人邮箱"},
		"contact_phone":         {"联系人电话"},
		"contact_mobile":        {"mobile", "cell phone", "cellphone", "手机", "手机号", "手机号码", "联系人手机"},
		"contact_birthday":      {"birthday", "生日", "联系人生日"},
	}
	m := map[string]string{}
	for field, aliases := range names {
		m[headerKey(field)] = field
		for _, a := range aliases {
			m[headerKey(a)] = field
		}
	}
	return m
}()

// headerKey folds a header for lookup: NFKC (full-width letters and
// brackets), lower case, without spaces, underscores, hyphens, dots and
// colons, and without a trailing "*" (Excel templates mark required
// columns so).
func headerKey(h string) string {
	h = strings.ToLower(norm.NFKC.String(strings.TrimSpace(h)))
	h = strings.TrimRight(h, "*")
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '_', '-', '.', ':', '\u3000':
			return -1
		}
		return r
	}, h)
}

// units are the money units a header may name in brackets, as their factor:
// "年收入(万元)" holds tens of thousands.
var units = map[string]float64{"元": 1, "¥": 1, "cny": 1, "rmb": 1, "yuan": 1, "万元": 1e4, "万": 1e4}

// Column is one column of the file.
type Column struct {
	Header string  // as written
	Field  string  // the import field; "" for an unknown or empty header
	Scale  float64 // money columns: the unit the header names (1 unless "(万元)")
}

// Mapping is how a file's columns map to import fields.
type Mapping struct {
	Columns []Column
	// Unknown are the headers that map to no field; their cells are not imported.
	Unknown []string
	// Missing are the required fields no column maps to.
	Missing []string
	// Duplicate are headers of columns whose field an earlier column already maps.
	Duplicate []string
}

// MapHeader maps a header row.
func MapHeader(header []string) Mapping {
	m := Mapping{Columns: make([]Column, len(header))}
	seen := map[string]bool{}
	for i, h := range header {
		col := Column{Header: h, Scale: 1}
		key := headerKey(h)
		field, ok := headerNames[key]
		if !ok {
			if base, unit, found := cutUnit(key); found {
				if f := headerNames[base]; f == "annual_revenue" || f == "annual_marketing_cost" {
					field, ok, col.Scale = f, true, unit
				}
			}
		}
		switch {
		case key == "":
		case !ok:
			m.Unknown = append(m.Unknown, h)
		case seen[field]:
			m.Duplicate = append(m.Duplicate, h)
		default:
			col.Field, seen[field] = field, true
		}
		m.Columns[i] = col
	}
	for _, f := range Required {
		if !seen[f] {
			m.Missing = append(m.Missing, f)
		}
	}
	return m
}

// cutUnit splits "年收入(万元)" into "年收入" and 1e4.
func cutUnit(key string) (string, float64, bool) {
	if !strings.HasSuffix(key, ")") {
		return "", 0, false
	}
	i := strings.LastIndexByte(key, '(')
	if i <= 0 {
		return "", 0, false
	}
	f, ok := units[key[i+1:len(key)-1]]
	return key[:i], f, ok
}

// Err says why the file cannot be imported with this header: required
// columns missing, or two columns for one field. Unknown columns are no
// error (they are reported, and left out).
func (m Mapping) Err() error {
	if len(m.Missing) > 0 {
		return &Error{Code: "missing_columns", Columns: m.Missing,
			Message: "the file has no column for " + strings.Join(m.Missing, ", ") + " (e.g. 客户名称/name, 地区/region, 行业/industry)"}
	}
	if len(m.Duplicate) > 0 {
		return &Error{Code: "duplicate_columns", Columns: m.Duplicate,
			Message: "these columns repeat a field another column already gives: " + strings.Join(m.Duplicate, ", ")}
	}
	return nil
}

// FieldError is a cell that could not be read.
type FieldError struct {
	Row     int    // the Excel row
	Column  string // the column's header as written (or "column F" past the header)
	Field   string // the import field, as the service names it (contacts[0].email)
	Code    string // invalid_number, invalid_integer, invalid_date, invalid_choice, scientific_notation, extra_cell
	Message string
	Value   string
}

func (e FieldError) Error() string {
	return fmt.Sprintf("row %d, %s: %s", e.Row, e.Column, e.Message)
}

// Row is one data row as an import row, with the cells that could not be read.
type Row struct {
	Row      int
	Customer Customer
	Errors   []FieldError
}

// Rows converts every record of t.
func (m Mapping) Rows(t *Table) []Row {
	out := make([]Row, len(t.Records))
	for i, r := range t.Records {
		out[i] = m.Row(r)
	}
	return out
}

// Row converts one record.
func (m Mapping) Row(r Record) Row {
	out := Row{Row: r.Row}
	c := &out.Customer
	var ct Contact
	for i, v := range r.Values {
		if i >= len(m.Columns) {
			if strings.TrimSpace(v) != "" {
				out.Errors = append(out.Errors, FieldError{Row: r.Row, Column: "column " + columnLetters(i), Code: "extra_cell", Value: v,
					Message: "this cell is right of the last column with a header; give its column a header or delete it"})
			}
			continue
		}
		col := m.Columns[i]
		if col.Field == "" {
			continue
		}
		v = text(v)
		fail := func(code, msg string) {
			out.Errors = append(out.Errors, FieldError{Row: r.Row, Column: col.Header, Field: apiField(col.Field), Code: code, Message: msg, Value: v})
		}
		switch col.Field {
		case "external_ref":
			c.ExternalRef = v
		case "name":
			c.Name = v
		case "tax_id":
			c.TaxID = digitsText(v, fail)
		case "region":
			c.Region = v
		case "industry":
			c.Industry = v
		case "owner_id":
			c.OwnerID = v
		case "team":
			c.Team = v
		case "website":
			c.Website = v
		case "phone":
			c.Phone = digitsText(v, fail)
		case "address":
			c.Address = v
		case "lifecycle_stage":
			c.LifecycleStage = choice(v, lifecycleStages, fail)
		case "relationship_stage":
			c.RelationshipStage = choice(v, relationshipStages, fail)
		case "annual_revenue":
			c.AnnualRevenue = money(v, col.Scale, fail)
		case "annual_marketing_cost":
			c.AnnualMarketingCost = money(v, col.Scale, fail)
		case "years_of_business":
			c.YearsOfBusiness = years(v, fail)
		case "contact_name":
			ct.Name = v
		case "contact_title":
			ct.Title = v
		case "contact_department":
			ct.Department = v
		case "contact_email":
			ct.Email = v
		case "contact_phone":
			ct.Phone = digitsText(v, fail)
		case "contact_mobile":
			ct.Mobile = digitsText(v, fail)
		case "contact_birthday":
			ct.Birthday = date(v, fail)
		}
	}
	if ct != (Contact{}) {
		ct.IsPrimary = true
		c.Contacts = []Contact{ct}
	}
	return out
}

// apiField names a field as the import's error answers do.
func apiField(f string) string {
	if rest, ok := strings.CutPrefix(f, "contact_"); ok {
		return "contacts[0]." + rest
	}
	return f
}

// columnLetters is Excel's name of the i-th column (from 0): A … Z, AA ….
func columnLetters(i int) string {
	s := ""
	for i++; i > 0; i = (i - 1) / 26 {
		s = string(rune('A'+(i-1)%26)) + s
	}
	return s
}
