package csvimport

import (
	"bufio"
	"io"
	"strconv"
	"strings"
)

// formulaStart are the first characters with which a spreadsheet reads a
// cell as a formula.
const formulaStart = "=+-@\t\r"

// Write writes a CSV file that Excel opens correctly: UTF-8 with a
// byte-order mark (without it Excel reads UTF-8 as the system code page and
// garbles Chinese), comma separated, CRLF line ends, and cells quoted when
// they hold a comma, a quote, a line break or leading or trailing spaces.
// A text cell that a spreadsheet would run as a formula ("=HYPERLINK(…)",
// "@SUM(…)", "-2+3") gets an apostrophe in front, so a customer name cannot
// run code on the computer that opens the export; numbers are left alone.
// Parse takes the apostrophe away again.
func Write(w io.Writer, header []string, rows [][]string) error {
	cw, err := NewWriter(w, header)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if err := cw.Row(r); err != nil {
			return err
		}
	}
	return cw.Flush()
}

// Writer writes a file as Write does, a row at a time (an export that
// pages through a list).
type Writer struct {
	bw *bufio.Writer
}

// NewWriter starts a file: the byte-order mark and the header.
func NewWriter(w io.Writer, header []string) (*Writer, error) {
	cw := &Writer{bw: bufio.NewWriter(w)}
	if _, err := cw.bw.Write(bomUTF8); err != nil {
		return nil, err
	}
	return cw, cw.Row(header)
}

// Row writes one row.
func (cw *Writer) Row(cells []string) error {
	for i, cell := range cells {
		if i > 0 {
			cw.bw.WriteByte(',')
		}
		cw.bw.WriteString(quote(guard(cell)))
	}
	_, err := cw.bw.WriteString("\r\n")
	return err
}

// Flush writes what is buffered.
func (cw *Writer) Flush() error { return cw.bw.Flush() }

// guard prefixes an apostrophe to a cell a spreadsheet would read as a
// formula, unless it is a plain number.
func guard(cell string) string {
	if cell == "" || !strings.ContainsRune(formulaStart, rune(cell[0])) {
		return cell
	}
	if _, err := strconv.ParseFloat(cell, 64); err == nil {
		return cell
	}
	return "'" + cell
}

func quote(cell string) string {
	if cell == "" || (!strings.ContainsAny(cell, ",\"\r\n") && strings.TrimSpace(cell) == cell) {
		return cell
	}
	return `"` + strings.ReplaceAll(cell, `"`, `""`) + `"`
}
