package importer

import (
	"errors"
	"net/http"
	"strconv"
	"time"
	"unicode"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/services/web/internal/console"
	"github.com/closeloop/closeloop/services/web/internal/csvimport"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

// resultData is the result page of an import.
type resultData struct {
	*view.Ctx
	File string
	// Created, Duplicates: the first shownRows of each; Failed: all.
	Created, Duplicates, Failed   []RowView
	CreatedN, DuplicateN, FailedN int
	// PendingN rows were not sent: a block failed as a whole (Problem says
	// why) and the import stopped there.
	PendingN int
	// Retry posts the same confirmation again: the blocks already imported
	// are answered from the service's record, the rest are imported.
	Retry *retryForm
	// Continue is Retry when the import paused at its time budget: the page
	// posts it by itself (htmx), or the user does.
	Continue *retryForm
	// SentN is how many rows the service has answered so far, of TotalN.
	SentN, TotalN int
}

// retryForm is a confirm form as it was posted.
type retryForm struct {
	Sealed, Idem, Mode string
	Rows               []string
}

// budget is how long one confirm request imports before it answers with
// its progress and continues in the next request, below the time proxies in
// front of the console usually allow a request (60 s). A block of 1,000
// rows takes about a second; a block already imported is answered at once.
const budget = 20 * time.Second

// confirm imports the rows the user confirmed: all new rows of the
// preview, or the checked ones.
func (h *handler) confirm(c *gin.Context) {
	r := h.d.Req(c)
	sealed := c.PostForm("preview")
	p, err := open(h.d.Auth.Codec(), sealed, r.User.Subject, time.Now())
	if err != nil {
		h.renderUpload(r, http.StatusBadRequest, pageProblem(r.X, http.StatusBadRequest, "importer.stale"), "")
		return
	}
	idem := c.PostForm("_idem")
	if !validKey(idem) {
		h.showPreview(r, http.StatusBadRequest, p, pageProblem(r.X, http.StatusBadRequest, "importer.no_key"))
		return
	}
	mode, checked := c.PostForm("mode"), c.PostFormArray("row")
	var rows []NewRow
	switch mode {
	case "all":
		rows = p.New
	case "selected":
		want := map[int]bool{}
		for _, v := range checked {
			if n, err := strconv.Atoi(v); err == nil {
				want[n] = true
			}
		}
		for _, nr := range p.New {
			if want[nr.Row] {
				rows = append(rows, nr)
			}
		}
	}
	if len(rows) == 0 {
		h.showPreview(r, http.StatusUnprocessableEntity, p, pageProblem(r.X, http.StatusUnprocessableEntity, "importer.none_checked"))
		return
	}
	send := make([]csvimport.Customer, len(rows))
	for i, nr := range rows {
		send[i] = nr.Customer
	}
	answers, err := runImport(r.C.Request.Context(), r.API, send, false, func(i int) string { return chunkKey(idem, i) }, time.Now().Add(budget))
	var e *apperr.Error
	if errors.As(err, &e) && e.Kind == apperr.KindUnauthenticated {
		h.d.Fail(r, err)
		return
	}
	h.showResult(r, p, rows, answers, err, &retryForm{Sealed: sealed, Idem: idem, Mode: mode, Rows: checked})
}

// showResult renders what became of the rows sent: answers are the
// answered ones, in order; err stopped the rest.
func (h *handler) showResult(r *console.Request, p *Preview, rows []NewRow, answers []Answer, err error, retry *retryForm) {
	r.X.Title = r.X.T("importer.result.title", "File", p.File)
	data := resultData{Ctx: r.X, File: p.File, PendingN: len(rows) - len(answers), SentN: len(answers), TotalN: len(rows)}
	status := http.StatusOK
	for k, a := range answers {
		v := RowView{Row: rows[k].Row, Name: rows[k].Customer.Name}
		applyAnswer(r.X, p.Cols, &v, a, func(j int) int { return rows[j].Row })
		switch v.Outcome {
		case outcomeNew:
			data.CreatedN++
			if len(data.Created) < shownRows {
				data.Created = append(data.Created, v)
			}
		case outcomeDuplicate:
			data.DuplicateN++
			if len(data.Duplicates) < shownRows {
				data.Duplicates = append(data.Duplicates, v)
			}
		default:
			data.FailedN++
			data.Failed = append(data.Failed, v)
		}
	}
	switch {
	case errors.Is(err, errPaused):
		data.Continue = retry
	case err != nil:
		pr := requestProblem(r.X, err)
		if pr.Status >= 500 {
			h.d.Log.ErrorContext(r.C, "import failed", "error", err, "imported", len(answers), "pending", data.PendingN)
		}
		status = pr.Status
		r.X.Problem = pr
		if pr.Code != "idempotency_key_reused" {
			data.Retry = retry
		}
	}
	h.result.Render(r.C, status, data)
}

// validKey reports whether a form's idempotency key can name the import's
// blocks (the service takes printable ASCII keys of up to 200 characters).
func validKey(k string) bool {
	if k == "" || len(k) > 120 {
		return false
	}
	for _, c := range k {
		if c > unicode.MaxASCII || !unicode.IsPrint(c) {
			return false
		}
	}
	return true
}
