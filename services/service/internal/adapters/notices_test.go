package adapters_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/services/service/internal/adapters"
	"github.com/closeloop/closeloop/services/service/internal/domain"
)

var (
	noticeOrg   = domain.MustOrg(domain.DefaultDepartments)
	noticeAdmin = auth.Principal{Subject: "admin-ada", Name: "Ada", Roles: []auth.Role{auth.RoleAdmin}}
	noticeMgr   = auth.Principal{Subject: "mgr-mia", Name: "Mia", Roles: []auth.Role{auth.RoleManager}, Teams: []string{"north"}}
)

// eachNotices runs fn on a freshly migrated database of every backend.
func eachNotices(t *testing.T, fn func(t *testing.T, r *adapters.Notices, gdb *gorm.DB)) {
	each(t, func(t *testing.T, _ *adapters.Cases, gdb *gorm.DB) { fn(t, adapters.NewNotices(gdb), gdb) })
}

// storedNotice stores a draft by p that fn may change, published at
// publishAt unless that is zero.
func storedNotice(t *testing.T, r *adapters.Notices, p auth.Principal, publishAt time.Time, fn func(in *domain.NoticeInput)) domain.Notice {
	t.Helper()
	until := t0.Add(30 * 24 * time.Hour)
	in := domain.NoticeInput{Title: "Quarterly figures", Body: "See the attachment.", Audience: domain.Audience{Everyone: true}, ValidUntil: &until}
	if fn != nil {
		fn(&in)
	}
	n, err := domain.NewNotice(adapters.NewID(), in, p, noticeOrg, t0.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Create(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	if publishAt.IsZero() {
		return n
	}
	n, err = r.Update(context.Background(), n.ID, func(n *domain.Notice) error {
		var err error
		*n, err = domain.PublishNotice(*n, p, noticeOrg, publishAt)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func readers(names ...string) []domain.Reader {
	out := make([]domain.Reader, len(names))
	for i, n := range names {
		out[i] = domain.Reader{ID: n, Name: "Name of " + n, Roles: []string{"rep"}, Teams: []string{"north"}}
	}
	return out
}

// addReaders stores the receipts of rs for n, published.
func addReaders(t *testing.T, r *adapters.Notices, n domain.Notice, rs []domain.Reader) int64 {
	t.Helper()
	added, err := r.AddReceipts(context.Background(), n.ID, func(n domain.Notice) ([]domain.Receipt, error) {
		out := make([]domain.Receipt, len(rs))
		for i, rd := range rs {
			out[i] = domain.ReceiptOf(n, rd, t0)
		}
		return out, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return added
}

func TestNoticeStorage(t *testing.T) {
	eachNotices(t, func(t *testing.T, r *adapters.Notices, gdb *gorm.DB) {
		ctx := context.Background()
		d := storedNotice(t, r, noticeMgr, time.Time{}, func(in *domain.NoticeInput) {
			in.Audience = domain.Audience{Departments: []string{"sales"}, Roles: []string{"analyst"}, Teams: []string{"north"}}
			in.MustAcknowledge, in.AckDeadline = true, in.ValidUntil
		})
		got, err := r.Get(ctx, d.ID)
		if err != nil || !reflect.DeepEqual(got, d) {
			t.Fatalf("stored\n%+v\nread back\n%+v (%v)", d, got, err)
		}
		if _, err := r.Get(ctx, adapters.NewID()); !errors.Is(err, domain.ErrNoticeNotFound) {
			t.Errorf("missing: %v", err)
		}
		// A refused change stores nothing.
		if _, err := r.Update(ctx, d.ID, func(n *domain.Notice) error { n.Title = "x"; return domain.ErrNoticeNotDraft }); !errors.Is(err, domain.ErrNoticeNotDraft) {
			t.Fatal(err)
		}
		if got, _ := r.Get(ctx, d.ID); got.Version != 1 || got.Title != d.Title {
			t.Errorf("a refusal changed %+v", got)
		}
		// Publish, then undo it: the draft is back as it was, without receipts.
		p, err := r.Update(ctx, d.ID, func(n *domain.Notice) error {
			var err error
			*n, err = domain.PublishNotice(*n, noticeMgr, noticeOrg, t0)
			return err
		})
		if err != nil || p.Version != 2 || p.State != domain.NoticePublished {
			t.Fatalf("%+v %v", p, err)
		}
		if n := addReaders(t, r, p, readers("rep-ana", "rep-cy")); n != 2 {
			t.Fatalf("added %d", n)
		}
		if err := r.Unpublish(ctx, d, 1); !errors.Is(err, domain.ErrNoticeVersionConflict) {
			t.Errorf("undo at the wrong version: %v", err)
		}
		if err := r.Unpublish(ctx, d, p.Version); err != nil {
			t.Fatal(err)
		}
		if got, _ := r.Get(ctx, d.ID); !reflect.DeepEqual(got, d) {
			t.Errorf("undone\n%+v\nwant\n%+v", got, d)
		}
		if n, _ := r.CountReceipts(ctx, d.ID); n != 0 {
			t.Errorf("%d receipts left", n)
		}
		// Two changes of one version: one wins.
		var wins, conflicts int
		for range 2 {
			_, err := r.Update(ctx, d.ID, func(n *domain.Notice) error {
				if n.Version != 1 {
					return domain.ErrNoticeVersionConflict
				}
				n.Title = "Edited"
				return nil
			})
			switch {
			case err == nil:
				wins++
			case errors.Is(err, domain.ErrNoticeVersionConflict):
				conflicts++
			}
		}
		if wins != 1 || conflicts != 1 {
			t.Errorf("wins %d conflicts %d", wins, conflicts)
		}
	})
}

func TestNoticeReceipts(t *testing.T) {
	eachNotices(t, func(t *testing.T, r *adapters.Notices, gdb *gorm.DB) {
		ctx := context.Background()
		n := storedNotice(t, r, noticeAdmin, t0, func(in *domain.NoticeInput) { in.MustAcknowledge, in.AckDeadline = true, in.ValidUntil })
		var names []string
		for i := range 1203 { // more than two insert batches
			names = append(names, fmt.Sprintf("user-%04d", i))
		}
		if added := addReaders(t, r, n, readers(names...)); added != 1203 {
			t.Fatalf("added %d", added)
		}
		// Idempotent: the same readers again add nothing and change nothing.
		if _, err := r.UpdateReceipt(ctx, n.ID, "user-0001", func(n domain.Notice, rc *domain.Receipt) error {
			var err error
			*rc, err = domain.ReadNotice(n, *rc, t0.Add(time.Minute))
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if added := addReaders(t, r, n, readers(names[:10]...)); added != 0 {
			t.Errorf("added %d again", added)
		}
		rc, ok, err := r.Receipt(ctx, n.ID, "user-0001")
		if err != nil || !ok || rc.ReadAt == nil || !rc.ReadAt.Equal(t0.Add(time.Minute)) || rc.ReaderName != "Name of user-0001" ||
			!slices.Equal(rc.ReaderTeams, []string{"north"}) || !rc.MustAcknowledge || !rc.PublishedAt.Equal(t0) {
			t.Fatalf("receipt %+v %v %v", rc, ok, err)
		}
		if _, ok, _ := r.Receipt(ctx, n.ID, "nobody"); ok {
			t.Error("a receipt of nobody")
		}
		if _, err := r.UpdateReceipt(ctx, n.ID, "nobody", func(domain.Notice, *domain.Receipt) error { return nil }); !errors.Is(err, domain.ErrNoticeNotAddressed) {
			t.Errorf("nobody's receipt: %v", err)
		}
		for _, u := range []string{"user-0002", "user-0003"} {
			if _, err := r.UpdateReceipt(ctx, n.ID, u, func(n domain.Notice, rc *domain.Receipt) error {
				var err error
				*rc, err = domain.AcknowledgeNotice(n, *rc, t0.Add(2*time.Minute))
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		c, err := r.Counts(ctx, n.ID)
		if err != nil || c != (adapters.ReceiptCounts{Readers: 1203, Read: 3, Acknowledged: 2}) {
			t.Fatalf("counts %+v %v", c, err)
		}
		// Pages by reader, filtered by state.
		for _, tc := range []struct {
			state string
			want  int
		}{{"", 1203}, {domain.ReceiptRead, 3}, {domain.ReceiptUnread, 1200}, {domain.ReceiptAcknowledged, 2}, {domain.ReceiptUnacknowledged, 1201}} {
			var seen []string
			after := ""
			for {
				page, next, err := r.Receipts(ctx, n.ID, tc.state, after, 200)
				if err != nil {
					t.Fatal(err)
				}
				for _, rc := range page {
					seen = append(seen, rc.ReaderID)
				}
				if next == "" {
					break
				}
				after = next
			}
			if len(seen) != tc.want || !slices.IsSorted(seen) || len(slices.Compact(slices.Clone(seen))) != len(seen) {
				t.Errorf("state %q: %d readers (sorted %v), want %d", tc.state, len(seen), slices.IsSorted(seen), tc.want)
			}
		}
		un, err := r.Unacknowledged(ctx, n.ID, "user-0001", 3)
		if err != nil || len(un) != 3 || un[0].ReaderID != "user-0004" || un[2].ReaderID != "user-0006" {
			t.Errorf("unacknowledged after user-0001: %v %v", un, err)
		}
		// Revoking copies the instant onto every receipt.
		if _, err := r.Update(ctx, n.ID, func(n *domain.Notice) error {
			var err error
			*n, err = domain.RevokeNotice(*n, noticeAdmin, "", t0.Add(time.Hour))
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if got := count(t, gdb, "SELECT COUNT(*) FROM notice_readers WHERE notice_id = ? AND revoked_at IS NOT NULL", n.ID); got != 1203 {
			t.Errorf("%d receipts revoked", got)
		}
	})
}

func TestNoticeBoxes(t *testing.T) {
	eachNotices(t, func(t *testing.T, r *adapters.Notices, gdb *gorm.DB) {
		ctx := context.Background()
		now := t0.Add(48 * time.Hour)
		mk := func(publishAt time.Time, fn func(in *domain.NoticeInput)) domain.Notice {
			n := storedNotice(t, r, noticeAdmin, publishAt, fn)
			addReaders(t, r, n, readers("rep-ana", "rep-bo"))
			return n
		}
		old := mk(t0, nil)
		pinnedOld := mk(t0.Add(time.Minute), func(in *domain.NoticeInput) { in.Pinned = true })
		must := mk(t0.Add(2*time.Minute), func(in *domain.NoticeInput) { in.MustAcknowledge, in.AckDeadline = true, in.ValidUntil })
		newest := mk(t0.Add(3*time.Minute), nil)
		pinnedNew := mk(t0.Add(4*time.Minute), func(in *domain.NoticeInput) { in.Pinned = true })
		// Not listed: ended, not started, revoked, and another reader's.
		mk(t0.Add(5*time.Minute), func(in *domain.NoticeInput) { e := t0.Add(24 * time.Hour); in.ValidUntil = &e })
		mk(t0.Add(6*time.Minute), func(in *domain.NoticeInput) { s := t0.Add(72 * time.Hour); in.ValidFrom = &s })
		revoked := mk(t0.Add(7*time.Minute), nil)
		if _, err := r.Update(ctx, revoked.ID, func(n *domain.Notice) error {
			var err error
			*n, err = domain.RevokeNotice(*n, noticeAdmin, "", t0.Add(time.Hour))
			return err
		}); err != nil {
			t.Fatal(err)
		}
		other := storedNotice(t, r, noticeAdmin, t0.Add(8*time.Minute), nil)
		addReaders(t, r, other, readers("rep-bo"))
		// ana read the newest; and acknowledged nothing.
		if _, err := r.UpdateReceipt(ctx, newest.ID, "rep-ana", func(n domain.Notice, rc *domain.Receipt) error {
			var err error
			*rc, err = domain.ReadNotice(n, *rc, now)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		box := func(name string, limit int) []string {
			var out []string
			var after *adapters.NoticeCursor
			for {
				page, next, err := r.Box(ctx, "rep-ana", name, now, after, limit)
				if err != nil {
					t.Fatal(err)
				}
				for _, it := range page {
					if it.Receipt.ReaderID != "rep-ana" || it.Notice.ID != it.Receipt.NoticeID {
						t.Fatalf("%+v", it)
					}
					out = append(out, it.Notice.ID)
				}
				if next == nil {
					return out
				}
				after = next
			}
		}
		want := map[string][]string{
			domain.BoxInbox:          {pinnedNew.ID, pinnedOld.ID, newest.ID, must.ID, old.ID},
			domain.BoxUnread:         {pinnedNew.ID, pinnedOld.ID, must.ID, old.ID},
			domain.BoxUnacknowledged: {must.ID},
		}
		for name, w := range want {
			for _, limit := range []int{1, 2, 50} {
				if got := box(name, limit); !slices.Equal(got, w) {
					t.Errorf("%s by %d: %v, want %v", name, limit, got, w)
				}
			}
		}
		// The publishers' boxes.
		draft := storedNotice(t, r, noticeMgr, time.Time{}, nil)
		mine, _, err := r.Written(ctx, noticeMgr.Subject, domain.BoxDrafts, nil, 10)
		if err != nil || len(mine) != 1 || mine[0].ID != draft.ID {
			t.Errorf("drafts of mia: %v %v", mine, err)
		}
		var published []string
		var after *adapters.NoticeCursor
		for {
			page, next, err := r.Written(ctx, "", domain.BoxPublished, after, 3)
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range page {
				published = append(published, n.ID)
			}
			if next == nil {
				break
			}
			after = next
		}
		if len(published) != 9 || published[0] != other.ID || published[8] != old.ID {
			t.Errorf("published, newest first: %v", published)
		}
		latest, err := r.LatestPublication(ctx)
		if err != nil || latest == nil || !latest.Equal(t0.Add(8*time.Minute)) {
			t.Errorf("latest publication %v %v", latest, err)
		}
	})
}

func TestNoticeSync(t *testing.T) {
	eachNotices(t, func(t *testing.T, r *adapters.Notices, gdb *gorm.DB) {
		ctx := context.Background()
		now := t0.Add(time.Hour)
		a := storedNotice(t, r, noticeAdmin, t0, nil)
		b := storedNotice(t, r, noticeAdmin, t0.Add(time.Minute), nil)
		c := storedNotice(t, r, noticeAdmin, t0.Add(2*time.Minute), func(in *domain.NoticeInput) { in.Audience = domain.Audience{Teams: []string{"south"}} })
		storedNotice(t, r, noticeAdmin, time.Time{}, nil) // a draft
		addReaders(t, r, a, readers("rep-new"))
		var offered []string
		sync := func(since *time.Time, to time.Time) int64 {
			offered = nil
			n, err := r.Sync(ctx, "rep-new", since, to, now, func(n domain.Notice) (domain.Receipt, bool) {
				offered = append(offered, n.ID)
				return domain.ReceiptOf(n, domain.Reader{ID: "rep-new", Teams: []string{"north"}}, now), n.Audience.Includes(domain.Reader{Teams: []string{"north"}}, noticeOrg)
			})
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		if st, err := r.SyncedTo(ctx, "rep-new"); err != nil || st != nil {
			t.Fatalf("synced before: %v %v", st, err)
		}
		// Never synced: every published notice without a receipt is
		// offered; the domain's choice is stored.
		if added := sync(nil, t0.Add(2*time.Minute)); added != 1 || !slices.Equal(sortedCopy(offered), sortedCopy([]string{b.ID, c.ID})) {
			t.Errorf("added %d, offered %v", added, offered)
		}
		if _, ok, _ := r.Receipt(ctx, b.ID, "rep-new"); !ok {
			t.Error("no receipt of b")
		}
		if st, _ := r.SyncedTo(ctx, "rep-new"); st == nil || !st.Equal(t0.Add(2*time.Minute)) {
			t.Errorf("synced to %v", st)
		}
		// Synced since: only later notices are offered; the mark never moves back.
		d := storedNotice(t, r, noticeAdmin, t0.Add(3*time.Minute), nil)
		since := t0.Add(2 * time.Minute)
		if added := sync(&since, t0.Add(time.Minute)); added != 1 || !slices.Equal(offered, []string{d.ID}) {
			t.Errorf("added %d, offered %v", added, offered)
		}
		if st, _ := r.SyncedTo(ctx, "rep-new"); !st.Equal(t0.Add(2 * time.Minute)) {
			t.Errorf("moved back to %v", st)
		}
		if added := sync(nil, t0.Add(3*time.Minute)); added != 0 || !slices.Equal(offered, []string{c.ID}) {
			t.Errorf("again: added %d, offered %v", added, offered)
		}
	})
}

func sortedCopy(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }
