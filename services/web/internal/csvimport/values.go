package csvimport

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"
)

// Reading cell values. Text is trimmed and otherwise left to the customer
// service, which validates and normalises it; only what must become a number,
// a date or one of a fixed set of values is read here, and a cell that
// cannot be read is a field error of its row, never a silent zero.

// text trims a cell and undoes the apostrophe Write puts before a cell that
// a spreadsheet would otherwise run as a formula.
func text(v string) string {
	v = strings.TrimSpace(v)
	if len(v) > 1 && v[0] == '\'' && strings.ContainsRune(formulaStart, rune(v[1])) {
		v = v[1:]
	}
	return v
}

// scientific is a number Excel shows in scientific notation: a long phone
// number or tax id in a column formatted as a number (13800138000 becomes
// 1.38E+10, and the digits are gone).
var scientific = regexp.MustCompile(`^[0-9](\.[0-9]+)?[eE]\+[0-9]+$`)

// digitsText is a phone number or tax id: text, refused when Excel turned it
// into a number in scientific notation.
func digitsText(v string, fail func(code, msg string)) string {
	if scientific.MatchString(v) {
		fail("scientific_notation", "Excel shortened this number to scientific notation and its digits are lost; format the column as Text and enter it again")
		return ""
	}
	return v
}

// choice reads one of a fixed set of values, by its API name or a label.
func choice(v string, labels map[string]string, fail func(code, msg string)) string {
	if v == "" {
		return ""
	}
	if c, ok := labels[strings.ToLower(norm.NFKC.String(v))]; ok {
		return c
	}
	var allowed []string
	for k, c := range labels {
		if k == c {
			allowed = append(allowed, k)
		}
	}
	slices.Sort(allowed)
	fail("invalid_choice", "must be one of "+strings.Join(allowed, ", ")+" (or its Chinese name)")
	return ""
}

var lifecycleStages = labelsOf(map[string][]string{
	"lead":        {"线索", "销售线索"},
	"prospect":    {"潜在客户", "潜客", "意向客户", "商机"},
	"transacting": {"成交", "成交客户", "交易", "交易中"},
	"service":     {"服务", "服务中", "售后"},
	"lost":        {"流失", "已流失", "流失客户"},
})

var relationshipStages = labelsOf(map[string][]string{
	"exploration": {"探索", "探索期", "考察期"},
	"formation":   {"形成", "形成期"},
	"stability":   {"稳定", "稳定期"},
	"decline":     {"衰退", "衰退期"},
})

func labelsOf(m map[string][]string) map[string]string {
	out := map[string]string{}
	for c, labels := range m {
		out[c] = c
		for _, l := range labels {
			out[l] = c
		}
	}
	return out
}

// money reads an amount as people write it in a spreadsheet: "1,234.50",
// "¥1 234", "1.234,50" (a decimal comma), "12.5万", full-width digits. scale
// is the unit the column names (1e4 for "(万元)"). Empty is 0.
func money(v string, scale float64, fail func(code, msg string)) float64 {
	if v == "" {
		return 0
	}
	s := norm.NFKC.String(v) // full-width digits, ￥ → ¥
	s = strings.Map(func(r rune) rune {
		switch r {
		case '¥', '$', '€', ' ', '\u00a0', '\u202f', '\'':
			return -1
		}
		return r
	}, s)
	for _, unit := range []string{"元", "人民币", "RMB", "rmb", "CNY", "cny"} {
		s = strings.TrimSuffix(strings.TrimPrefix(s, unit), unit)
	}
	if t, ok := strings.CutSuffix(s, "万"); ok {
		s, scale = t, scale*1e4
	}
	s = decimalPoint(s)
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
		fail("invalid_number", "must be a number, such as 1234.5 or 1,234.50")
		return 0
	}
	return math.Round(x*scale*100) / 100
}

// decimalPoint rewrites the separators of a number to Go's: the last of
// "." and "," is the decimal mark when both occur; a lone "," is one only
// when it is not followed by exactly three digits ("1,5" but not "1,500").
func decimalPoint(s string) string {
	dot, comma := strings.LastIndexByte(s, '.'), strings.LastIndexByte(s, ',')
	switch {
	case dot >= 0 && comma >= 0 && comma > dot: // 1.234,50
		return strings.Replace(strings.ReplaceAll(s, ".", ""), ",", ".", 1)
	case dot >= 0 && comma >= 0: // 1,234.50
		return strings.ReplaceAll(s, ",", "")
	case comma >= 0 && strings.Count(s, ",") == 1 && len(s)-comma-1 != 3: // 1,5
		return strings.Replace(s, ",", ".", 1)
	default: // 1,234,567 or 1234.5
		return strings.ReplaceAll(s, ",", "")
	}
}

// years reads a whole number of years ("12", "12年", "12.0").
func years(v string, fail func(code, msg string)) int {
	if v == "" {
		return 0
	}
	s := strings.TrimSpace(strings.TrimSuffix(norm.NFKC.String(v), "年"))
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || x != math.Trunc(x) || math.Abs(x) > 1e6 {
		fail("invalid_integer", "must be a whole number of years")
		return 0
	}
	return int(x)
}

// dateForms are the dates accepted, year first (month-first and day-first
// dates cannot be told apart).
var dateForm = regexp.MustCompile(`^([0-9]{4})\s*[-/.年]\s*([0-9]{1,2})\s*[-/.月]\s*([0-9]{1,2})\s*日?$`)

// date reads a date written year first (2024-05-01, 2024/5/1, 2024.5.1,
// 2024年5月1日) as YYYY-MM-DD.
func date(v string, fail func(code, msg string)) string {
	if v == "" {
		return ""
	}
	m := dateForm.FindStringSubmatch(norm.NFKC.String(v))
	if m != nil {
		y, _ := strconv.Atoi(m[1])
		mo, _ := strconv.Atoi(m[2])
		d, _ := strconv.Atoi(m[3])
		t := time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC)
		if t.Year() == y && int(t.Month()) == mo && t.Day() == d {
			return t.Format(time.DateOnly)
		}
	}
	fail("invalid_date", fmt.Sprintf("must be a date written year first, such as 1980-05-01 or 1980年5月1日 (not %q)", v))
	return ""
}
