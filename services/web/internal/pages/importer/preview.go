package importer

import (
	"bufio"
	"bytes"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/services/web/internal/console"
	"github.com/closeloop/closeloop/services/web/internal/csvimport"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

// previewData is the preview page.
type previewData struct {
	*view.Ctx
	P *Preview
	// Sealed is P, sealed for the confirm form ("" when nothing can be imported).
	Sealed string
	// Hidden is how many rows the table leaves out.
	Hidden int
	// NewShown is how many of the shown rows are new (they have a check box).
	NewShown int
}

// Magic numbers of spreadsheet workbooks, which are not text: an .xlsx is
// a zip archive, an .xls a compound document.
var (
	magicXLSX = []byte("PK\x03\x04")
	magicXLS  = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
)

// previewFile reads the uploaded file, has the customer service judge its
// rows (a dry run) and shows the preview.
func (h *handler) previewFile(c *gin.Context) {
	r := h.d.Req(c)
	if c.Request.MultipartForm != nil {
		defer func() { _ = c.Request.MultipartForm.RemoveAll() }()
	}
	fh, err := c.FormFile("file")
	if err != nil {
		h.refuseFile(r, http.StatusBadRequest, r.X.T("importer.file.none"))
		return
	}
	f, err := fh.Open()
	if err != nil {
		h.refuseFile(r, http.StatusBadRequest, r.X.T("importer.file.none"))
		return
	}
	defer f.Close()
	br := bufio.NewReader(f)
	if head, _ := br.Peek(8); bytes.HasPrefix(head, magicXLSX) || bytes.HasPrefix(head, magicXLS) {
		h.refuseFile(r, http.StatusUnprocessableEntity, r.X.T("importer.file.workbook"))
		return
	}
	tab, err := csvimport.Parse(br)
	if err != nil {
		status, msg, ok := fileProblem(r.X, err)
		if !ok {
			status, msg = http.StatusBadRequest, r.X.T("importer.file.unreadable")
		}
		h.refuseFile(r, status, msg)
		return
	}
	m := csvimport.MapHeader(tab.Header)
	if err := m.Err(); err != nil {
		status, msg, _ := fileProblem(r.X, err)
		h.refuseFile(r, status, msg)
		return
	}
	p := &Preview{Subject: r.User.Subject, At: time.Now().UTC(), File: fileName(fh.Filename),
		Encoding: tab.Encoding, Sep: sepName(tab.Delimiter), Unknown: m.Unknown, Cols: columnsOf(m)}
	// The rows are all that is needed from here on: each record's cells go
	// as soon as its row is made (a large file's cells are most of the
	// memory a preview takes).
	rows := make([]csvimport.Row, len(tab.Records))
	for i := range tab.Records {
		rows[i] = m.Row(tab.Records[i])
		tab.Records[i].Values = nil
	}
	tab = nil
	if err := h.judge(r, p, m, rows); err != nil {
		h.refuseCall(r, err)
		return
	}
	h.showPreview(r, http.StatusOK, p, nil)
}

// judge has the service judge the rows whose cells could all be read (a
// dry run, in blocks) and fills p: summary, shown and invalid rows, and the
// new rows an import would send.
func (h *handler) judge(r *console.Request, p *Preview, m csvimport.Mapping, rows []csvimport.Row) error {
	cols := p.Cols
	views := make([]RowView, len(rows))
	var send []*csvimport.Customer
	var sent []int // send[k] is rows[sent[k]]'s
	for i, row := range rows {
		views[i] = RowView{Row: row.Row, Name: row.Customer.Name}
		if len(row.Errors) > 0 {
			views[i].Outcome = outcomeInvalid
			for _, e := range row.Errors {
				views[i].Problems = append(views[i].Problems, cellProblem(r.X, e))
			}
			continue
		}
		send = append(send, &rows[i].Customer)
		sent = append(sent, i)
	}
	answers, _, err := runImport(r.C.Request.Context(), r.API, send, true, nil, 0, time.Time{})
	if err != nil {
		return err
	}
	for k, a := range answers {
		i := sent[k]
		v := &views[i]
		applyAnswer(r.X, cols, v, a, func(j int) int { return views[sent[j]].Row })
		if v.Outcome == outcomeNew {
			p.New = append(p.New, NewRow{Row: rows[i].Row, Customer: &rows[i].Customer})
		}
	}
	p.Chunked = chunks(len(send), dryRunRows) > 1
	p.Summary.Rows = len(views)
	for _, v := range views {
		switch v.Outcome {
		case outcomeNew:
			p.Summary.New++
		case outcomeDuplicate:
			p.Summary.Duplicate++
		default:
			p.Summary.Invalid++
			p.Invalid = append(p.Invalid, v)
		}
	}
	p.Shown = views[:min(len(views), shownRows)]
	return nil
}

// applyAnswer puts the service's answer for a row into its view; rowOf
// gives the Excel row of the k-th row sent.
func applyAnswer(x *view.Ctx, cols columns, v *RowView, a Answer, rowOf func(int) int) {
	v.Outcome, v.CustomerID, v.MatchedOn, v.OwningTeam = a.Outcome, a.CustomerID, a.MatchedOn, a.OwningTeam
	if a.DupOf >= 0 {
		v.DupOfRow = rowOf(a.DupOf)
	}
	switch a.Outcome {
	case outcomeNew, outcomeDuplicate:
	default:
		v.Outcome = outcomeInvalid
		for _, fe := range a.Errors {
			v.Problems = append(v.Problems, fieldProblem(x, cols, fe))
		}
		if len(v.Problems) == 0 {
			v.Problems = []Problem{{Message: x.T("importer.err.unknown")}}
		}
	}
}

// showPreview renders the preview of p, sealing its new rows for the
// confirm form.
func (h *handler) showPreview(r *console.Request, status int, p *Preview, problem *view.Problem) {
	r.X.Title = r.X.T("importer.preview.title", "File", p.File)
	r.X.Problem = problem
	data := previewData{Ctx: r.X, P: p, Hidden: p.Summary.Rows - len(p.Shown)}
	for _, v := range p.Shown {
		if v.Outcome == outcomeNew {
			data.NewShown++
		}
	}
	if len(p.New) > 0 {
		sealed, err := seal(h.d.Auth.Codec(), p)
		if err != nil {
			h.d.Fail(r, apperr.Internal(err))
			return
		}
		if len(sealed) > maxSealed {
			r.X.Problem = pageProblem(r.X, http.StatusRequestEntityTooLarge, "importer.preview.too_big")
		} else {
			data.Sealed = sealed
		}
	}
	h.preview.Render(r.C, status, data)
}

// refuseFile shows the upload form again with what is wrong with the file.
func (h *handler) refuseFile(r *console.Request, status int, msg string) {
	h.renderUpload(r, status, pageProblem(r.X, status, "importer.file.refused"), msg)
}

// refuseCall shows the upload form again with a refusal of the service (or
// ends the session when the service no longer takes its token).
func (h *handler) refuseCall(r *console.Request, err error) {
	var e *apperr.Error
	if errors.As(err, &e) && e.Kind == apperr.KindUnauthenticated {
		h.d.Fail(r, err)
		return
	}
	p := requestProblem(r.X, err)
	if p.Status >= 500 {
		h.d.Log.ErrorContext(r.C, "import preview failed", "error", err)
	}
	h.renderUpload(r, p.Status, p, "")
}

// fileName is the uploaded file's name without a path (old browsers send
// the whole path), for showing.
func fileName(name string) string {
	name = filepath.Base(strings.ReplaceAll(name, `\`, "/"))
	if name == "." || name == "/" {
		return ""
	}
	return name
}

// sepName names a cell separator for the catalogue.
func sepName(d rune) string {
	switch d {
	case ';':
		return "semicolon"
	case '\t':
		return "tab"
	}
	return "comma"
}
