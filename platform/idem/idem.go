// Package idem makes create endpoints idempotent: a client sends an
// Idempotency-Key header, and a retry with the same key gets the first
// response back instead of creating a second resource.
//
// The key is stored in the service's own database in the SAME transaction as the
// resource it created, so a crash can never leave one without the other. The key
// row is inserted first, as a placeholder: a concurrent retry with the same key
// blocks on it (PostgreSQL) or is serialised (SQLite) and then replays the stored
// response. Reusing a key for a different request body is a 409. Keys are scoped
// to the caller and the endpoint, and are kept for Retention.
package idem

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"
	"unicode"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/db"
	"github.com/closeloop/closeloop/platform/db/migrate"
	"github.com/closeloop/closeloop/platform/faults"
)

// Header is the request header clients send.
const Header = "Idempotency-Key"

// Retention is how long keys are honoured.
const Retention = 24 * time.Hour

// Fault points of a keyed create (platform/faults; the kill tests of
// services/internal/stacktest/faults stop a service at each): BeforeCommit
// once the resource and its key are written but not committed, AfterCommit
// once both are committed but the response is not yet sent.
const (
	BeforeCommit = "idem.before-commit"
	AfterCommit  = "idem.after-commit"
)

// ErrKeyReused is returned when a key comes back with a different request.
var ErrKeyReused = apperr.Conflict("idempotency_key_reused", "this Idempotency-Key was already used for a different request")

// Record is the stored outcome of one keyed request.
type Record struct {
	Scope       string    `gorm:"primaryKey;size:120"`
	Principal   string    `gorm:"primaryKey;size:200"`
	Key         string    `gorm:"column:idem_key;primaryKey;size:200"`
	RequestHash string    `gorm:"size:64;not null"`
	Status      int       `gorm:"not null"`
	Response    []byte    `gorm:"not null"`
	CreatedAt   time.Time `gorm:"not null;index"`
}

// TableName keeps one name across services.
func (Record) TableName() string { return "idempotency_keys" }

// Migration creates the table; services include it in their migration list.
func Migration(version int) migrate.Migration {
	return migrate.Migration{Version: version, Name: "idempotency keys", Up: func(tx *gorm.DB) error {
		return tx.Migrator().CreateTable(&Record{})
	}}
}

// Request identifies one keyed request.
type Request struct {
	Key       string // empty: no idempotency requested
	Principal string
	Scope     string // e.g. "POST /v1/customers"
	Body      []byte // the raw request body, hashed to detect key reuse
}

// Result is what the handler should send.
type Result struct {
	Status   int
	Body     json.RawMessage
	Replayed bool
}

// ValidateKey checks a client-supplied key.
func ValidateKey(key string) error {
	if key == "" {
		return nil
	}
	ok := len(key) <= 200
	for _, r := range key {
		if r > unicode.MaxASCII || !unicode.IsPrint(r) {
			ok = false
		}
	}
	if !ok {
		e := apperr.Invalid("invalid_idempotency_key", "Idempotency-Key must be 1 to 200 printable ASCII characters")
		e.Fields = []apperr.FieldError{{Field: Header, Code: "invalid", Message: "1 to 200 printable ASCII characters"}}
		return e
	}
	return nil
}

// Do runs create inside a transaction, storing its response under the key. When
// the key was seen before with the same body, create is not run and the stored
// response is returned with Replayed set. create returns the success status and
// response value; an error from it rolls everything back and stores nothing, so
// the client may retry.
func Do(ctx context.Context, gdb *gorm.DB, req Request, create func(tx *gorm.DB) (int, any, error)) (Result, error) {
	if err := ValidateKey(req.Key); err != nil {
		return Result{}, err
	}
	if req.Key == "" {
		var res Result
		err := gdb.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			status, body, err := create(tx)
			if err != nil {
				return err
			}
			res.Status = status
			res.Body, err = json.Marshal(body)
			return err
		})
		return res, err
	}
	sum := sha256.Sum256(req.Body)
	hash := hex.EncodeToString(sum[:])
	if prior, found, err := lookup(ctx, gdb, req); err != nil {
		return Result{}, err
	} else if found {
		return replay(prior, hash)
	}
	var res Result
	err := gdb.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		rec := Record{Scope: req.Scope, Principal: req.Principal, Key: req.Key, RequestHash: hash, Response: []byte("null"), CreatedAt: time.Now().UTC()}
		if err := tx.Create(&rec).Error; err != nil {
			return err
		}
		status, body, err := create(tx)
		if err != nil {
			return err
		}
		raw, err := json.Marshal(body)
		if err != nil {
			return err
		}
		res = Result{Status: status, Body: raw}
		if err := tx.Model(&Record{}).
			Where("scope = ? AND principal = ? AND idem_key = ?", req.Scope, req.Principal, req.Key).
			Updates(map[string]any{"status": status, "response": raw}).Error; err != nil {
			return err
		}
		faults.Point(BeforeCommit)
		return nil
	})
	if err == nil {
		faults.Point(AfterCommit)
	}
	if err != nil && db.IsUniqueViolation(err) {
		// A concurrent request with the same key won; answer with its response.
		if prior, found, lerr := lookup(ctx, gdb, req); lerr == nil && found {
			return replay(prior, hash)
		}
	}
	return res, err
}

func lookup(ctx context.Context, gdb *gorm.DB, req Request) (Record, bool, error) {
	var rec Record
	err := gdb.WithContext(ctx).
		Where("scope = ? AND principal = ? AND idem_key = ? AND created_at > ?", req.Scope, req.Principal, req.Key, time.Now().UTC().Add(-Retention)).
		Take(&rec).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return rec, false, nil
	}
	if err != nil {
		return rec, false, err
	}
	return rec, true, nil
}

func replay(rec Record, hash string) (Result, error) {
	if rec.RequestHash != hash {
		return Result{}, ErrKeyReused
	}
	return Result{Status: rec.Status, Body: rec.Response, Replayed: true}, nil
}

// Purge deletes keys older than Retention; services call it periodically.
func Purge(ctx context.Context, gdb *gorm.DB) (int64, error) {
	res := gdb.WithContext(ctx).Where("created_at < ?", time.Now().UTC().Add(-Retention)).Delete(&Record{})
	return res.RowsAffected, res.Error
}

// Lookup answers a keyed request seen before, for a change that cannot run
// inside Do's transaction (it is applied elsewhere — by a workflow — and
// deduplicated there too): found with the stored response, ErrKeyReused when
// the key came with another body, not found otherwise. Remember stores the
// response once the change is made.
func Lookup(ctx context.Context, gdb *gorm.DB, req Request) (Result, bool, error) {
	if req.Key == "" {
		return Result{}, false, nil
	}
	if err := ValidateKey(req.Key); err != nil {
		return Result{}, false, err
	}
	prior, found, err := lookup(ctx, gdb, req)
	if err != nil || !found {
		return Result{}, false, err
	}
	sum := sha256.Sum256(req.Body)
	res, err := replay(prior, hex.EncodeToString(sum[:]))
	return res, err == nil, err
}

// Remember stores the response to a keyed request made outside Do (see
// Lookup). A concurrent request with the same key that stored first wins:
// both made the same change once.
func Remember(ctx context.Context, gdb *gorm.DB, req Request, status int, body any) error {
	if req.Key == "" {
		return nil
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(req.Body)
	rec := Record{Scope: req.Scope, Principal: req.Principal, Key: req.Key, RequestHash: hex.EncodeToString(sum[:]), Status: status,
		Response: raw, CreatedAt: time.Now().UTC()}
	err = gdb.WithContext(ctx).Create(&rec).Error
	if err != nil && db.IsUniqueViolation(err) {
		return nil
	}
	return err
}
