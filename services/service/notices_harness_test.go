package service_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/platform/auth/devissuer"
	"github.com/closeloop/closeloop/platform/service"
	"github.com/closeloop/closeloop/platform/service/servicetest"
	"github.com/closeloop/closeloop/services/internal/stacktest"
	aftersales "github.com/closeloop/closeloop/services/service"
	"github.com/closeloop/closeloop/services/service/internal/app"
	"github.com/closeloop/closeloop/services/service/internal/domain"
	"github.com/closeloop/closeloop/services/service/internal/ports"
)

// The notices' readers come from the user directory (app.NoticeWorkflows).
// In these tests they come from noticeDirectory: the tests' users, handed to
// AddReaders in pages as the directory look-up does — the last page twice,
// as a retried publication would. The readers of a notice that must be
// acknowledged are chased by its workflow on the stacks that run the
// workflow engine; the others have none (TEMPORAL_ADDRESS 127.0.0.1:1), and
// only note what they were asked.
func init() {
	aftersales.SetNoticeWorkflows(func(d *service.Deps, n *app.Notices) app.NoticeWorkflows {
		dir := noticeDirectory{notices: n}
		if d.Config.Temporal.Address != noTemporal {
			dir.chases = &ports.NoticeChases{Client: d.Temporal}
		}
		return dir
	})
}

// noTemporal is the Temporal address of the stacks without the engine.
const noTemporal = "127.0.0.1:1"

// directoryDown in a notice's title makes the directory fail its publication.
const directoryDown = "[directory down]"

// revokedNotices and chasedNotices record the notices whose workflow was
// told they were revoked, or started.
var revokedNotices, chasedNotices sync.Map

type noticeDirectory struct {
	notices *app.Notices
	// chases are the real workflows (nil: the stack has no engine).
	chases *ports.NoticeChases
}

func (d noticeDirectory) Published(ctx context.Context, n domain.Notice) error {
	if strings.Contains(n.Title, directoryDown) {
		return errors.New("the user directory does not answer")
	}
	rs := make([]app.Reader, 0, len(testUsers))
	for _, u := range testUsers {
		rs = append(rs, domain.ReaderOf(u))
	}
	for start := 0; start < len(rs); start += 5 {
		if _, err := d.notices.AddReaders(ctx, n.ID, rs[start:min(start+5, len(rs))]); err != nil {
			return err
		}
	}
	_, err := d.notices.AddReaders(ctx, n.ID, rs[len(rs)-5:])
	return err
}

func (d noticeDirectory) Chase(ctx context.Context, n domain.Notice) error {
	chasedNotices.Store(n.ID, true)
	if d.chases == nil {
		return nil
	}
	return d.chases.Chase(ctx, n)
}

func (d noticeDirectory) Revoked(ctx context.Context, n domain.Notice) error {
	revokedNotices.Store(n.ID, true)
	if d.chases == nil {
		return nil
	}
	return d.chases.Revoked(ctx, n)
}

func (d noticeDirectory) Acknowledged(ctx context.Context, n domain.Notice, readerID string) error {
	if d.chases == nil {
		return nil
	}
	return d.chases.Acknowledged(ctx, n, readerID)
}

// noticeStack is the after-sales service alone (notices need no other
// service), with a dev issuer that mints tokens for anyone (login).
type noticeStack struct {
	*stack
	iss *devissuer.Issuer
}

func newNoticeStack(t testing.TB, dsn func(testing.TB) string) *noticeStack {
	t.Helper()
	iss, issuerURL := stacktest.StartIssuer(t)
	s := &noticeStack{stack: &stack{t: t, tokens: map[string]string{}}, iss: iss}
	s.service = servicetest.Start(t, aftersales.Spec(), map[string]string{"OIDC_ISSUER_URL": issuerURL, "TEMPORAL_ADDRESS": noTemporal,
		"TEMPORAL_NAMESPACE": "default", "LOG_LEVEL": "warn", "SHUTDOWN_TIMEOUT": "5s", "DATABASE_URL": dsn(t)}, service.Options{})
	s.db = s.service.App.Deps().DB
	for _, u := range testUsers {
		s.login(u)
	}
	return s
}

// login mints a token for p (someone the directory may not know).
func (s *noticeStack) login(p auth.Principal) {
	s.t.Helper()
	tok, err := s.iss.Mint(p, "closeloop", time.Hour)
	if err != nil {
		s.t.Fatal(err)
	}
	s.tokens[p.Subject] = tok
}

// noticeBody is a valid draft to everyone, shown for a week, with extra
// fields set (nil values removed).
func noticeBody(extra map[string]any) map[string]any {
	b := map[string]any{"title": "Office closed on Friday", "body": "The Beijing office is closed on Friday for maintenance.",
		"audience": map[string]any{"everyone": true}, "valid_until": time.Now().Add(7 * 24 * time.Hour).UTC().Format(time.RFC3339Nano)}
	for k, v := range extra {
		if v == nil {
			delete(b, k)
		} else {
			b[k] = v
		}
	}
	return b
}

func inFromNow(d time.Duration) string { return time.Now().Add(d).UTC().Format(time.RFC3339Nano) }

// draftNotice writes a draft as user and returns its id.
func (s *noticeStack) draftNotice(user string, body map[string]any) string {
	s.t.Helper()
	return s.must(http.StatusCreated, "POST", "/v1/notices", user, body)["id"].(string)
}

// publishNotice writes and publishes a notice as user and returns its id.
func (s *noticeStack) publishNotice(user string, body map[string]any) string {
	s.t.Helper()
	id := s.draftNotice(user, body)
	s.must(http.StatusOK, "POST", "/v1/notices/"+id+"/publish", user, nil)
	return id
}

// box is every notice id of a user's box, in order, paging by limit.
func (s *noticeStack) box(user, box string, limit int) []string {
	s.t.Helper()
	var out []string
	cursor := ""
	for range 1000 {
		page := s.must(http.StatusOK, "GET", fmt.Sprintf("/v1/notices?box=%s&limit=%d&cursor=%s", box, limit, cursor), user, nil)
		out = append(out, ids(page)...)
		next, _ := page["next_cursor"].(string)
		if next == "" {
			return out
		}
		cursor = next
	}
	s.t.Fatal("no last page")
	return nil
}

// noticeRows is everything the notices store, as text: compared before
// and after a refused request.
func (s *noticeStack) noticeRows() string {
	s.t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT id, title, state, version, updated_at, valid_from, valid_until, published_at, revoked_at, revoke_reason FROM notices ORDER BY id`,
		`SELECT notice_id, reader_id, read_at, acked_at, revoked_at FROM notice_readers ORDER BY notice_id, reader_id`,
		`SELECT reader_id, synced_to FROM notice_reader_sync ORDER BY reader_id`,
		`SELECT scope, principal, idem_key FROM idempotency_keys ORDER BY scope, principal, idem_key`,
	} {
		var rows []map[string]any
		if err := s.db.Raw(q).Scan(&rows).Error; err != nil {
			s.t.Fatal(err)
		}
		fmt.Fprintln(&b, rows)
	}
	return b.String()
}
