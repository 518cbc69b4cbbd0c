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
	bw := bufio.NewWriter(w)
	if _, err := bw.Write(bomUTF8); err != nil {
		return err
	}
	for _, r := range append([][]string{header}, rows...) {
		for i, cell := range r {
			if i > 0 {
				bw.WriteByte(',')
			}
			bw.WriteString(quote(guard(cell)))
		}
		bw.WriteString("\r\n")
	}
	return bw.Flush()
}

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
