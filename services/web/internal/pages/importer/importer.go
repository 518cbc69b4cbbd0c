// Package importer is the console's Import and export page: reps, managers
// and admins upload a customer file (CSV or text from Excel or WPS, UTF-8 or
// GBK), see per row whether it would be new, a duplicate of an existing
// customer (linked) or of an earlier row of the file, or invalid (which cell,
// and why), import only the rows they confirm, and export the customer list
// as a file Excel opens and the import reads back.
//
// Every judgement is the customer service's: the preview is its import
// endpoint run as a dry run (in blocks of 5,000 rows), the import the same
// endpoint for real (in blocks of 1,000); the console only reads the file
// (csvimport) and shows the answers. It keeps nothing on the server between the preview and
// the confirmation: the preview's new rows travel in the confirm form,
// compressed and sealed with the session key, so they come back exactly as
// previewed, and only to the user who previewed them. Each block of the
// import carries an idempotency key made of the form's key and the block's
// number, so a second click, a reload or a retry after a failure never
// creates a customer twice (see docs/console/import.md).
package importer

import (
	"embed"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/platform/httpx"
	"github.com/closeloop/closeloop/services/web/internal/console"
	"github.com/closeloop/closeloop/services/web/internal/csvimport"
	"github.com/closeloop/closeloop/services/web/internal/signin"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

//go:embed templates
var templates embed.FS

//go:embed locales
var locales embed.FS

const (
	// dryRunRows is how many rows one dry run judges: the import endpoint's
	// most, so duplicates within a file are seen across as many rows as
	// possible. A dry run writes nothing and answers in well under a second.
	dryRunRows = 5000
	// importRows is how many rows one call of the real import creates: one
	// transaction, done in about a second (a few under load), well inside
	// the console's 15 s per call; a long import advances, and resumes,
	// a block at a time.
	importRows = 1000
	// shownRows is how many rows of a preview or result the tables show; the
	// rest are counted (invalid rows are all listed).
	shownRows = 200
	// maxSealed is the largest sealed preview a confirm form carries; a
	// preview whose new rows would seal larger asks for smaller files.
	maxSealed = 48 << 20
	// maxConfirm is the largest confirm post: the sealed rows and the
	// checked row numbers.
	maxConfirm = maxSealed + 2<<20
	// unlimited lifts the platform's body limit (which answers in JSON) for
	// the two posts; limitBody applies their own and answers with a page.
	unlimited = 1 << 40
)

// maxUpload is the largest upload: the file (csvimport's limit) and the
// form around it.
var maxUpload = csvimport.DefaultLimits.MaxBytes + 1<<20

// Mount adds /import, its posts and /customers/export.csv.
func Mount(e *gin.Engine, d *console.Deps) error {
	if err := d.View.AddMessages("importer", locales, "locales"); err != nil {
		return err
	}
	h := &handler{d: d,
		upload:  d.View.Page(templates, "templates/upload.html", "templates/parts.html"),
		preview: d.View.Page(templates, "templates/preview.html", "templates/parts.html"),
		result:  d.View.Page(templates, "templates/result.html", "templates/parts.html"),
	}
	guard := d.Guard(view.RolesImport...)
	e.GET("/import", append(guard, h.showUpload)...)

	httpx.AllowBody(http.MethodPost, "/import", unlimited)
	upload := gin.HandlersChain{h.limitBody(maxUpload), d.Auth.Optional(), h.readUpload}
	e.POST("/import", append(append(upload, guard...), h.previewFile)...)

	httpx.AllowBody(http.MethodPost, "/import/confirm", unlimited)
	e.POST("/import/confirm", append(gin.HandlersChain{h.limitBody(maxConfirm)}, append(guard, h.confirm)...)...)

	e.GET("/customers/export.csv", append(guard, h.export)...)
	return nil
}

type handler struct {
	d                       *console.Deps
	upload, preview, result *view.Page
}

// uploadData is the upload page.
type uploadData struct {
	*view.Ctx
	Fields   []fieldHelp
	MaxRows  int
	MaxMiB   int64
	FileErr  string
	Required []string
}

// fieldHelp is one import field as the upload page explains it.
type fieldHelp struct {
	Field    string
	Required bool
}

func (h *handler) showUpload(c *gin.Context) {
	r := h.d.Req(c)
	h.renderUpload(r, http.StatusOK, nil, "")
}

// renderUpload shows the upload form, with a problem in a banner and the
// file's problem next to the file input.
func (h *handler) renderUpload(r *console.Request, status int, p *view.Problem, fileErr string) {
	r.X.Title = r.X.T("importer.title")
	r.X.Problem = p
	data := uploadData{Ctx: r.X, MaxRows: csvimport.DefaultLimits.MaxRows, MaxMiB: csvimport.DefaultLimits.MaxBytes >> 20, FileErr: fileErr}
	for _, f := range csvimport.Fields {
		data.Fields = append(data.Fields, fieldHelp{Field: f, Required: isRequired(f)})
	}
	h.upload.Render(r.C, status, data)
}

func isRequired(f string) bool {
	for _, r := range csvimport.Required {
		if r == f {
			return true
		}
	}
	return false
}

// limitBody refuses a body larger than n with a page (before anything
// reads it) and caps what is read at n.
func (h *handler) limitBody(n int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Request.ContentLength > n {
			h.tooLarge(c)
			return
		}
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, n)
		c.Next()
	}
}

func (h *handler) tooLarge(c *gin.Context) {
	s := signin.From(c)
	x := h.d.View.Ctx(c, s)
	h.d.View.Message(c, s, http.StatusRequestEntityTooLarge, "importer.too_large.title",
		x.T("importer.too_large.detail", "MiB", csvimport.DefaultLimits.MaxBytes>>20, "Rows", x.Num(csvimport.DefaultLimits.MaxRows)))
}

// readUpload reads a signed-in user's multipart upload into memory before
// the guard checks its anti-CSRF field (the guard's own parse would spill
// files over 32 MiB to disk). A stranger's upload is not read: the guard
// turns it away.
func (h *handler) readUpload(c *gin.Context) {
	if signin.From(c) == nil {
		c.Next()
		return
	}
	err := c.Request.ParseMultipartForm(maxUpload)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		h.tooLarge(c)
		return
	}
	// Any other problem (not a multipart form, no file) is the handler's to
	// explain; the guard's check of the anti-CSRF field runs first.
	c.Next()
}
