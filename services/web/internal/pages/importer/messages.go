package importer

import (
	"errors"
	"net/http"
	"regexp"
	"strings"

	"github.com/closeloop/closeloop/services/web/internal/apis/customerapi"
	"github.com/closeloop/closeloop/services/web/internal/csvimport"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

// The rows a preview or a result shows, and what is wrong with them, in the
// user's language: the file's own column headers where the file has the
// column, the catalogue's words for the service's codes where it knows
// them, else the service's message.

// Outcomes of a row.
const (
	outcomeNew       = "new"
	outcomeDuplicate = "duplicate"
	outcomeInvalid   = "invalid"
)

// RowView is one row of the file as a table shows it.
type RowView struct {
	Row     int    `json:"r"`
	Name    string `json:"n,omitempty"`
	Outcome string `json:"o"`
	// CustomerID: the existing customer a duplicate matches (when the user
	// may see it), or the customer an import created.
	CustomerID string `json:"id,omitempty"`
	// DupOfRow is the Excel row of the earlier row of the file this one repeats.
	DupOfRow   int       `json:"d,omitempty"`
	MatchedOn  string    `json:"m,omitempty"`
	OwningTeam string    `json:"t,omitempty"`
	Problems   []Problem `json:"p,omitempty"`
}

// Problem is one thing wrong with a row: the column (as the file names it,
// or the field's name when the file has no such column), the import field
// and what is wrong.
type Problem struct {
	Column  string `json:"c,omitempty"`
	Field   string `json:"f,omitempty"`
	Message string `json:"m"`
}

// columns maps import fields (contact_email) to the file's headers.
type columns map[string]string

func columnsOf(m csvimport.Mapping) columns {
	out := columns{}
	for _, c := range m.Columns {
		if c.Field != "" {
			out[c.Field] = c.Header
		}
	}
	return out
}

// importField is the import field of a field the service names
// (contacts[0].email → contact_email).
func importField(apiField string) string {
	if rest, ok := strings.CutPrefix(apiField, "contacts[0]."); ok {
		return "contact_" + rest
	}
	return apiField
}

// label is how a problem names its column.
func (cols columns) label(x *view.Ctx, field string) string {
	f := importField(field)
	if h := cols[f]; h != "" {
		return h
	}
	if t := x.T("importer.f." + f); t != "importer.f."+f {
		return t
	}
	return field
}

// cellProblem is a cell the console could not read.
func cellProblem(x *view.Ctx, e csvimport.FieldError) Problem {
	id := "importer.cell." + e.Code
	msg := x.T(id, "Value", e.Value, "Allowed", allowedOf(e.Message))
	if msg == id {
		msg = e.Message
	}
	return Problem{Column: e.Column, Field: e.Field, Message: msg}
}

// allowedOf is the list in csvimport's "must be one of a, b, c (or its
// Chinese name)".
func allowedOf(msg string) string {
	rest, ok := strings.CutPrefix(msg, "must be one of ")
	if !ok {
		return ""
	}
	list, _, _ := strings.Cut(rest, " (")
	return list
}

var firstNumber = regexp.MustCompile(`[0-9]+`)

// fieldProblem is a field the customer service refused. Its message is the
// catalogue's for the code (for "invalid", for the code and field), else
// the service's.
func fieldProblem(x *view.Ctx, cols columns, fe customerapi.FieldError) Problem {
	field, code, msg := str(fe.Field), str(fe.Code), str(fe.Message)
	base := strings.TrimPrefix(field, "contacts[0].")
	for _, id := range []string{"importer.err." + code + "." + base, "importer.err." + code} {
		if code == "invalid" && id == "importer.err.invalid" {
			continue // what "invalid" means depends on the field
		}
		if t := x.T(id, "Max", firstNumber.FindString(msg)); t != id {
			msg = t
			break
		}
	}
	return Problem{Column: cols.label(x, field), Field: field, Message: msg}
}

// fileProblem says why a whole file cannot be read, and the status of the
// page that says so.
func fileProblem(x *view.Ctx, err error) (int, string, bool) {
	var e *csvimport.Error
	if !errors.As(err, &e) {
		return 0, "", false
	}
	cols := make([]string, len(e.Columns))
	for i, c := range e.Columns {
		cols[i] = c
		if e.Code == "missing_columns" {
			cols[i] = x.T("importer.f."+c) + " (" + c + ")"
		}
	}
	id := "importer.file." + e.Code
	msg := x.T(id, "Row", e.Row, "Columns", strings.Join(cols, ", "),
		"MiB", csvimport.DefaultLimits.MaxBytes>>20, "Rows", x.Num(csvimport.DefaultLimits.MaxRows))
	if msg == id {
		msg = e.Error()
	}
	status := http.StatusUnprocessableEntity
	if e.Code == "too_large" || e.Code == "too_many_rows" {
		status = http.StatusRequestEntityTooLarge
	}
	return status, msg, true
}

// pageProblem is a problem of the console's own, with the catalogue's
// message id.
func pageProblem(x *view.Ctx, status int, id string, kv ...any) *view.Problem {
	return &view.Problem{Status: status, Code: strings.TrimPrefix(id, "importer."), Message: x.T(id, kv...)}
}

// requestProblem is the problem of a call refused as a whole, with the
// catalogue's words for the refusals an import can meet.
func requestProblem(x *view.Ctx, err error) *view.Problem {
	p := x.ProblemOf(err)
	switch p.Code {
	case "no_team":
		p.Message = x.T("importer.err.no_team")
	case "idempotency_key_reused":
		p.Message = x.T("importer.reused")
	}
	return p
}
