package importer

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"time"

	"github.com/closeloop/closeloop/services/web/internal/csvimport"
	"github.com/closeloop/closeloop/services/web/internal/session"
)

// sealName binds a sealed preview to its use: it opens as nothing else (a
// session cookie, another page's value) and nothing else opens as it.
const sealName = "closeloop_import_preview"

// maxAge is how long a preview can be confirmed: well inside the 24 hours
// the customer service keeps idempotency keys, so confirming the same
// preview again can never create its customers twice.
const maxAge = 12 * time.Hour

// maxPlain bounds what an opened preview may inflate to.
const maxPlain = 512 << 20

// Preview is what the preview page shows and what its confirm form carries
// back, sealed: who made it and when, the file's summary and shown rows, and
// the rows the service judged new — the only rows an import sends.
type Preview struct {
	Subject  string    `json:"sub"`
	At       time.Time `json:"at"`
	File     string    `json:"file"`
	Encoding string    `json:"enc"`
	Sep      string    `json:"sep"`
	Unknown  []string  `json:"unknown,omitempty"`
	// Cols are the file's headers of the import fields (for naming a
	// column in the result's problems).
	Cols    columns `json:"cols,omitempty"`
	Summary Summary `json:"summary"`
	// Shown are the file's first rows (shownRows); Invalid every invalid row.
	Shown   []RowView `json:"shown"`
	Invalid []RowView `json:"invalid,omitempty"`
	// Chunked: the file took more than one dry run, which cannot see
	// duplicates between its blocks (the import itself does).
	Chunked bool     `json:"chunked,omitempty"`
	New     []NewRow `json:"new,omitempty"`
}

// Summary counts a file's rows by outcome.
type Summary struct {
	Rows, New, Duplicate, Invalid int
}

// NewRow is a row the dry run judged new, as the import sends it.
type NewRow struct {
	Row      int                 `json:"row"`
	Customer *csvimport.Customer `json:"c"`
}

// seal compresses and encrypts p for the confirm form.
func seal(c *session.Codec, p *Preview) (string, error) { return sealValue(c, sealName, p) }

// errStale is a sealed preview that is not the user's, too old, or not one
// at all (changed in the browser, or sealed under another key).
var errStale = errors.New("importer: the preview is stale or not this user's")

// open is seal undone, for subject at now.
func open(c *session.Codec, sealed, subject string, now time.Time) (*Preview, error) {
	var p Preview
	if err := openValue(c, sealName, sealed, &p); err != nil {
		return nil, errStale
	}
	if p.Subject != subject || now.Sub(p.At) > maxAge || p.At.After(now.Add(time.Minute)) {
		return nil, errStale
	}
	return &p, nil
}

// sealValue is v as JSON, gzip-compressed and sealed for name.
func sealValue(c *session.Codec, name string, v any) (string, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if err := json.NewEncoder(zw).Encode(v); err != nil {
		return "", err
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	return c.SealBytes(name, buf.Bytes())
}

// openValue is sealValue undone into v.
func openValue(c *session.Codec, name, sealed string, v any) error {
	raw, err := c.OpenBytes(name, sealed)
	if err != nil {
		return err
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	return json.NewDecoder(io.LimitReader(zr, maxPlain)).Decode(v)
}
