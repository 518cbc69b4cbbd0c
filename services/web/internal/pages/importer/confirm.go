package importer

import (
	"errors"
	"net/http"
	"strconv"
	"sync/atomic"
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
	*Tally
	// PendingN rows were not sent yet: the import paused (Continue) or a
	// block failed as a whole (Problem says why, Retry tries again).
	PendingN int
	// SentN is how many rows the service has answered so far, of TotalN.
	SentN, TotalN int
	// Continue carries on an import that paused at its time budget: the
	// page posts it by itself (htmx), or the user does.
	Continue *retryForm
	// Retry posts the confirmation again after a block failed.
	Retry *retryForm
}

// retryForm is a confirm form as it was posted, with the tally so far.
type retryForm struct {
	Sealed, Idem, Mode, Tally string
	Rows                      []string
}

// Tally is an import's result so far, carried (sealed) from one request of
// a long import to the next, so a request goes on where the last one
// stopped instead of asking again for every block already imported.
type Tally struct {
	Sub string `json:"sub"`
	Key string `json:"idem"`
	// Blocks is how many blocks have been answered.
	Blocks                        int `json:"blocks"`
	CreatedN, DuplicateN, FailedN int
	// Created, Duplicates: the first shownRows of each; Failed: all.
	Created, Duplicates, Failed []RowView
}

// tallyName binds a sealed tally to its use.
const tallyName = "closeloop_import_tally"

// tallyOf opens the tally a continued confirmation carries: only one made
// for this user, this form and this choice of rows (key); otherwise the import starts
// at its first block (whose keys make the service answer blocks already
// imported from its record).
func (h *handler) tallyOf(sealed, subject, key string) *Tally {
	fresh := &Tally{Sub: subject, Key: key}
	if sealed == "" {
		return fresh
	}
	var t Tally
	if err := openValue(h.d.Auth.Codec(), tallyName, sealed, &t); err != nil || t.Sub != subject || t.Key != key || t.Blocks < 0 {
		return fresh
	}
	return &t
}

// add counts one answered row.
func (t *Tally) add(v RowView) {
	switch v.Outcome {
	case outcomeNew:
		t.CreatedN++
		if len(t.Created) < shownRows {
			t.Created = append(t.Created, v)
		}
	case outcomeDuplicate:
		t.DuplicateN++
		if len(t.Duplicates) < shownRows {
			t.Duplicates = append(t.Duplicates, v)
		}
	default:
		t.FailedN++
		t.Failed = append(t.Failed, v)
	}
}

// budget is how long one confirm request imports before it answers with
// its progress and continues in the next request, below the time proxies in
// front of the console usually allow a request (60 s). A block of 1,000
// rows takes about a second; a block already imported is answered at once.
// (Atomic only so that tests can shorten it while the console runs.)
var budget atomic.Int64

func init() { budget.Store(int64(20 * time.Second)) }

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
	send := make([]*csvimport.Customer, len(rows))
	chosen := make([]int, len(rows))
	for i, nr := range rows {
		send[i], chosen[i] = nr.Customer, nr.Row
	}
	t := h.tallyOf(c.PostForm("tally"), r.User.Subject, chunkKey(idem, chosen, 0))
	from := min(t.Blocks, chunks(len(send), importRows))
	answers, done, err := runImport(r.C.Request.Context(), r.API, send, false, func(i int) string { return chunkKey(idem, chosen, i) },
		from, time.Now().Add(time.Duration(budget.Load())))
	var e *apperr.Error
	if errors.As(err, &e) && e.Kind == apperr.KindUnauthenticated {
		h.d.Fail(r, err)
		return
	}
	first := from * importRows
	for k, a := range answers {
		nr := rows[first+k]
		v := RowView{Row: nr.Row, Name: nr.Customer.Name}
		applyAnswer(r.X, p.Cols, &v, a, func(j int) int { return rows[j].Row })
		t.add(v)
	}
	t.Blocks = done
	h.showResult(r, p, t, len(rows), err, &retryForm{Sealed: sealed, Idem: idem, Mode: mode, Rows: checked})
}

// showResult renders the tally of an import of total rows; err stopped it
// before its end (errPaused: at its time budget).
func (h *handler) showResult(r *console.Request, p *Preview, t *Tally, total int, err error, again *retryForm) {
	r.X.Title = r.X.T("importer.result.title", "File", p.File)
	sent := min(total, t.Blocks*importRows)
	data := resultData{Ctx: r.X, File: p.File, Tally: t, PendingN: total - sent, SentN: sent, TotalN: total}
	status := http.StatusOK
	if err != nil {
		sealed, serr := sealValue(h.d.Auth.Codec(), tallyName, t)
		if serr != nil {
			h.d.Fail(r, apperr.Internal(serr))
			return
		}
		again.Tally = sealed
	}
	switch {
	case errors.Is(err, errPaused):
		data.Continue = again
	case err != nil:
		pr := requestProblem(r.X, err)
		if pr.Status >= 500 {
			h.d.Log.ErrorContext(r.C, "import failed", "error", err, "imported", sent, "pending", data.PendingN)
		}
		status = pr.Status
		r.X.Problem = pr
		if pr.Code != "idempotency_key_reused" {
			data.Retry = again
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
