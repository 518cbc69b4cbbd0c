// Package csvimport reads the customer files people export from Excel (and
// WPS) into the rows of the customer service's import
// (POST /v1/customers/import), and writes CSV files that Excel opens
// correctly. It is pure Go: no HTTP, no business rules — whether a row is a
// valid customer or a duplicate is the customer service's answer.
//
// Reading takes what Excel writes:
//
//   - encodings: UTF-8 with or without a byte-order mark, UTF-16 with a mark
//     (Excel's "Unicode text"), and otherwise GB18030 — which covers GBK and
//     GB2312, what Excel writes on a Simplified Chinese Windows. A file that
//     is valid UTF-8 is read as UTF-8;
//   - dialects: comma, semicolon (Excel where the decimal mark is a comma) or
//     tab separated, sniffed from the header line, or named by Excel's own
//     "sep=;" first line; quoted cells with separators, doubled quotes and line
//     breaks inside; CRLF, LF or CR line ends;
//   - limits: at most Limits.MaxRows data rows and Limits.MaxBytes bytes, with
//     an error that says so.
//
// Rows are numbered as Excel numbers them (the header is row 1, and a line
// break inside a quoted cell does not start a row), so an error message
// points at the row a person sees. Header cells map to import fields in
// English or Simplified Chinese (mapping.go); values that cannot be read —
// a number that is not one, a date that is not a date, a stage that does not
// exist, a phone number Excel turned into 1.38E+10 — become field errors of
// their row (values.go). Write produces UTF-8 with a byte-order mark, CRLF
// and quoting, so that Excel shows Chinese text correctly (write.go).
package csvimport

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

// Limits bound what Parse reads.
type Limits struct {
	MaxRows  int   // data rows, the header not counted
	MaxBytes int64 // the file as uploaded
}

// DefaultLimits are the console's: 100,000 rows in at most 64 MiB.
var DefaultLimits = Limits{MaxRows: 100_000, MaxBytes: 64 << 20}

// Error is a problem with the whole file, or with the row it names. Code is
// stable, for translating the message: too_large, too_many_rows, empty,
// bad_encoding, unterminated_quote, missing_columns, duplicate_columns.
type Error struct {
	Code    string
	Row     int      // the Excel row, when the problem is in one
	Columns []string // missing_columns: the fields; duplicate_columns: the headers
	Message string
}

func (e *Error) Error() string {
	if e.Row > 0 {
		return fmt.Sprintf("row %d: %s", e.Row, e.Message)
	}
	return e.Message
}

// Table is a parsed file.
type Table struct {
	// Encoding is how the file was read: utf-8, utf-8-bom, utf-16le,
	// utf-16be or gb18030.
	Encoding string
	// Delimiter is the cell separator: ',', ';' or '\t'.
	Delimiter rune
	// Header is the first non-empty row, cells trimmed.
	Header []string
	// HeaderRow is the header's Excel row number (1 unless rows above it are empty).
	HeaderRow int
	// Records are the data rows; empty rows are left out.
	Records []Record
}

// Record is one data row.
type Record struct {
	// Row is the number Excel shows for it: the header is row 1.
	Row int
	// Values are the cells as written (not trimmed). A row may have fewer
	// cells than the header (the rest are empty) or more.
	Values []string
}

// Parse reads a file within DefaultLimits.
func Parse(r io.Reader) (*Table, error) { return ParseLimits(r, DefaultLimits) }

// ParseLimits reads a file within l.
func ParseLimits(r io.Reader, l Limits) (*Table, error) {
	raw, err := io.ReadAll(io.LimitReader(r, l.MaxBytes+1))
	if err != nil {
		return nil, err
	}
	if int64(len(raw)) > l.MaxBytes {
		return nil, &Error{Code: "too_large", Message: fmt.Sprintf("the file is larger than %d MiB; split it into smaller files", l.MaxBytes>>20)}
	}
	text, enc, err := decode(raw)
	if err != nil {
		return nil, err
	}
	t := &Table{Encoding: enc}
	if rest, d, ok := sepLine(text); ok {
		text, t.Delimiter = rest, d
	} else {
		t.Delimiter = sniff(text)
	}
	err = split(text, byte(t.Delimiter), func(row int, cells []string) error {
		if t.Header == nil {
			t.HeaderRow = row
			t.Header = make([]string, len(cells))
			for i, c := range cells {
				t.Header[i] = strings.TrimSpace(c)
			}
			return nil
		}
		if len(t.Records) == l.MaxRows {
			return &Error{Code: "too_many_rows", Row: row, Message: fmt.Sprintf("the file has more than %d rows; split it into smaller files", l.MaxRows)}
		}
		t.Records = append(t.Records, Record{Row: row, Values: cells})
		return nil
	})
	if err != nil {
		return nil, err
	}
	if t.Header == nil {
		return nil, &Error{Code: "empty", Message: "the file is empty: it needs a header row and at least one row of data"}
	}
	if len(t.Records) == 0 {
		return nil, &Error{Code: "empty", Message: "the file has a header row but no data"}
	}
	return t, nil
}

var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
)

// decode returns the file as text: by its byte-order mark, else as UTF-8
// when it is valid UTF-8, else as GB18030.
func decode(raw []byte) (string, string, error) {
	switch {
	case bytes.HasPrefix(raw, bomUTF8):
		raw = raw[len(bomUTF8):]
		if !utf8.Valid(raw) {
			return "", "", &Error{Code: "bad_encoding", Message: "the file says it is UTF-8 but is not; save it again as \"CSV UTF-8\""}
		}
		return string(raw), "utf-8-bom", nil
	case bytes.HasPrefix(raw, bomUTF16LE), bytes.HasPrefix(raw, bomUTF16BE):
		enc, name := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM), "utf-16le"
		if bytes.HasPrefix(raw, bomUTF16BE) {
			enc, name = unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM), "utf-16be"
		}
		out, err := enc.NewDecoder().Bytes(raw)
		if err != nil || bytes.ContainsRune(out, utf8.RuneError) {
			return "", "", &Error{Code: "bad_encoding", Message: "the file is not valid UTF-16; save it again as \"CSV UTF-8\""}
		}
		return string(out), name, nil
	case utf8.Valid(raw):
		return string(raw), "utf-8", nil
	}
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(raw)
	if err != nil || bytes.ContainsRune(out, utf8.RuneError) {
		return "", "", &Error{Code: "bad_encoding", Message: "the file is neither UTF-8 nor GBK/GB18030; save it again as \"CSV UTF-8\""}
	}
	return string(out), "gb18030", nil
}

// sepLine reads Excel's "sep=;" first line, which names the separator.
func sepLine(text string) (string, rune, bool) {
	line, rest, _ := strings.Cut(text, "\n")
	line = strings.TrimSuffix(line, "\r")
	if len(line) != 5 || !strings.EqualFold(line[:4], "sep=") {
		return text, 0, false
	}
	switch d := rune(line[4]); d {
	case ',', ';', '\t':
		return rest, d, true
	}
	return text, 0, false
}

// sniff picks the separator that occurs most often outside quotes in the
// first row (the header); comma when none does.
func sniff(text string) rune {
	counts := map[byte]int{}
	quoted := false
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c == '"' {
			quoted = !quoted // a doubled quote toggles twice
			continue
		}
		if quoted {
			continue
		}
		if c == '\n' || c == '\r' {
			if counts[','] > 0 || counts[';'] > 0 || counts['\t'] > 0 {
				break
			}
			continue // empty rows above the header
		}
		counts[c]++
	}
	best := byte(',')
	for _, d := range []byte{';', '\t'} {
		if counts[d] > counts[best] {
			best = d
		}
	}
	return rune(best)
}

// lineBreaks makes every line break inside a cell a "\n", as Excel keeps them.
var lineBreaks = strings.NewReplacer("\r\n", "\n", "\r", "\n")

// split cuts text into rows of cells as Excel reads them and calls row for
// every row that has a non-empty cell, with its Excel row number. A quoted
// cell runs to the next quote that is not doubled; what follows that quote
// up to the next separator is kept as written (as Excel does). A quote inside
// an unquoted cell is an ordinary character.
func split(text string, delim byte, row func(n int, cells []string) error) error {
	n := 1
	var cells []string
	var cell strings.Builder
	start := 0      // first byte of the current row
	atStart := true // at the first byte of a cell
	emit := func() error {
		cells = append(cells, cell.String())
		cell.Reset()
		blank := true
		for _, c := range cells {
			if strings.TrimSpace(c) != "" {
				blank = false
				break
			}
		}
		var err error
		if !blank {
			err = row(n, cells)
		}
		cells = nil
		n++
		return err
	}
	i := 0
	for i < len(text) {
		if atStart && text[i] == '"' {
			atStart = false
			// A quoted cell: up to the closing quote.
			j := i + 1
			for {
				k := strings.IndexByte(text[j:], '"')
				if k < 0 {
					return &Error{Code: "unterminated_quote", Row: n, Message: "a quoted cell is never closed: a \" is missing"}
				}
				cell.WriteString(lineBreaks.Replace(text[j : j+k]))
				j += k + 1
				if j < len(text) && text[j] == '"' {
					cell.WriteByte('"')
					j++
					continue
				}
				break
			}
			i = j
			continue
		}
		switch c := text[i]; {
		case c == delim:
			cells = append(cells, cell.String())
			cell.Reset()
			i++
			atStart = true
		case c == '\r' || c == '\n':
			if c == '\r' && i+1 < len(text) && text[i+1] == '\n' {
				i++
			}
			i++
			if err := emit(); err != nil {
				return err
			}
			start, atStart = i, true
		default:
			atStart = false
			j := i
			for j < len(text) && text[j] != delim && text[j] != '\r' && text[j] != '\n' {
				j++
			}
			cell.WriteString(text[i:j])
			i = j
		}
	}
	if start < len(text) {
		return emit()
	}
	return nil
}
