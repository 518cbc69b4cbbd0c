package adapters_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/services/service/internal/adapters"
	"github.com/closeloop/closeloop/services/service/internal/domain"
	"github.com/closeloop/closeloop/workflows/infoslip"
)

// eachSlips runs fn on a freshly migrated database of every backend.
func eachSlips(t *testing.T, fn func(t *testing.T, r *adapters.Slips, gdb *gorm.DB)) {
	each(t, func(t *testing.T, _ *adapters.Cases, gdb *gorm.DB) { fn(t, adapters.NewSlips(gdb), gdb) })
}

var slipOrg = domain.MustOrg(domain.DefaultDepartments)

// slipPeople: a sales rep of north (who sends the slips), service people,
// a marketer, and p-00..p-19 of team service-west.
func slipPeople() map[string]domain.Person {
	ps := map[string]domain.Person{}
	add := func(id, name string, teams ...string) {
		ps[id] = domain.Person{ID: id, Name: name, Teams: teams, Enabled: true}
	}
	add("rep-ana", "Ana", "north")
	add("rep-bo", "Bo", "south")
	add("svc-sun", "Sun", "service")
	add("svc-lin", "Lin", "service")
	add("mkt-mo", "Mo", "marketing")
	add("mgr-svc", "Manager Gao", "service")
	for i := range 20 {
		add(fmt.Sprintf("p-%02d", i), fmt.Sprintf("Person %d", i), "service-west")
	}
	return ps
}

func slipSender(sub string, teams ...string) auth.Principal {
	return auth.Principal{Subject: sub, Name: "Sender " + sub, Roles: []auth.Role{auth.RoleRep}, Teams: teams}
}

func slipID(n int) string { return fmt.Sprintf("0190b000-0000-7000-8000-%012d", n) }

func toDept(d, team string) domain.RecipientInput {
	return domain.RecipientInput{Kind: infoslip.KindDepartment, Department: d, Team: team}
}

func toPerson(id string) domain.RecipientInput {
	return domain.RecipientInput{Kind: infoslip.KindPerson, UserID: id}
}

var st0 = time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)

// fileSlip files and stores a slip from sender to rs at at.
func fileSlip(t *testing.T, r *adapters.Slips, n int, sender auth.Principal, at time.Time, rs ...domain.RecipientInput) domain.Slip {
	t.Helper()
	in := domain.NewSlipInput{ID: slipID(n), CustomerID: fmt.Sprintf("0190c000-0000-7000-8000-%012d", n%3), CustomerName: "Basalt Cranes",
		Subject: fmt.Sprintf("slip %d", n), Category: "quality", Recipients: rs}
	s, e, err := domain.NewSlip(in, sender, slipOrg, slipPeople(), at)
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.Create(context.Background(), s, e)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// apply is an Update fn applying cmd at at.
func apply(cmd domain.SlipCommand, at time.Time) func(*domain.Slip) ([]domain.SlipEntry, error) {
	cmd.People, cmd.Org = slipPeople(), slipOrg
	return func(s *domain.Slip) ([]domain.SlipEntry, error) {
		next, es, err := domain.ApplySlip(*s, cmd, at)
		if err != nil {
			return nil, err
		}
		*s = next
		return es, nil
	}
}

func TestSlipCreateAndGet(t *testing.T) {
	eachSlips(t, func(t *testing.T, r *adapters.Slips, gdb *gorm.DB) {
		ctx := context.Background()
		due := st0.Add(72 * time.Hour)
		var as []domain.SlipAttachment
		for i := range domain.MaxSlipAttachments {
			as = append(as, domain.SlipAttachment{Name: strings.Repeat("图", domain.MaxSlipAttachmentName), Size: int64(i) << 25,
				ContentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", URL: "https://files.example.com/" + strings.Repeat("p", domain.MaxSlipAttachmentURL-26)})
		}
		people := slipPeople()
		people["svc-sun"] = domain.Person{ID: "svc-sun", Name: strings.Repeat("孙", domain.MaxSlipName), Teams: []string{"service"}, Enabled: true}
		in := domain.NewSlipInput{ID: slipID(1), CustomerID: slipID(900), CustomerName: strings.Repeat("玄", domain.MaxSlipName), CustomerOwnerID: "rep-ana",
			CustomerTeam: "north", ContactID: slipID(901), LeadID: slipID(902), OpportunityID: slipID(903), CaseID: slipID(904), VisitID: slipID(905),
			Subject: strings.Repeat("刹", domain.MaxSubject), Body: strings.Repeat("车", domain.MaxSlipBody), Category: "competitor", Urgency: "urgent",
			Attachments: as, DueAt: &due, Recipients: []domain.RecipientInput{toDept("service", "service-west"), toPerson("svc-sun"), toDept("marketing", "")}}
		s, e, err := domain.NewSlip(in, slipSender("rep-ana", "north", "south"), slipOrg, people, st0.Add(123456789*time.Nanosecond))
		if err != nil {
			t.Fatal(err)
		}
		for range 2 { // a retried create stores it once
			got, err := r.Create(ctx, s, e)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, s) {
				t.Fatalf("stored %+v\nwant   %+v", got, s)
			}
		}
		if n := count(t, gdb, "SELECT COUNT(*) FROM slip_entries WHERE slip_id = ?", s.ID); n != 1 {
			t.Fatalf("%d entries after two creates", n)
		}
		tl, err := r.Timeline(ctx, s.ID, nil, 10)
		if err != nil || len(tl.Items) != 1 || tl.Next != nil {
			t.Fatalf("timeline %+v %v", tl, err)
		}
		want := e
		want.ID = tl.Items[0].ID
		if !reflect.DeepEqual(tl.Items[0], want) || want.ID == "" {
			t.Errorf("created entry %+v\nwant %+v", tl.Items[0], want)
		}
		// A slip without attachments, teams or a due date comes back so.
		bare := fileSlip(t, r, 2, auth.Principal{Subject: "rep-bo", Roles: []auth.Role{auth.RoleRep}}, st0, toPerson("svc-sun"))
		if bare.Attachments != nil || bare.OriginatorTeams != nil || bare.DueAt != nil {
			t.Errorf("a bare slip %+v", bare)
		}
		if _, err := r.Get(ctx, slipID(3)); !errors.Is(err, domain.ErrSlipNotFound) {
			t.Errorf("a missing slip: %v", err)
		}
	})
}

func TestSlipUpdate(t *testing.T) {
	eachSlips(t, func(t *testing.T, r *adapters.Slips, gdb *gorm.DB) {
		ctx := context.Background()
		s := fileSlip(t, r, 1, slipSender("rep-ana", "north"), st0, toDept("service", ""), toPerson("mkt-mo"))
		at := st0.Add(time.Hour)
		got, err := r.UpdateOnce(ctx, s.ID, "wf:route-1", apply(domain.SlipCommand{Op: infoslip.OpRoute, Actor: "mgr-svc", Recipient: 1, UserID: "svc-sun"}, at))
		if err != nil || got.Version != 2 || got.Recipients[0].UserID != "svc-sun" || !got.UpdatedAt.Equal(at) || got.Recipients[0].RoutedAt == nil {
			t.Fatalf("routed: %+v %v", got, err)
		}
		if stored, _ := r.Get(ctx, s.ID); !reflect.DeepEqual(stored, got) {
			t.Fatalf("returned %+v\nstored   %+v", got, stored)
		}

		// A retried change with the same entry id is not applied again —
		// not even asked of the domain, which would refuse it (acknowledged
		// twice).
		calls := 0
		ack := apply(domain.SlipCommand{Op: infoslip.OpAcknowledge, Actor: "svc-sun", Recipient: 1}, at.Add(time.Minute))
		counted := func(s *domain.Slip) ([]domain.SlipEntry, error) { calls++; return ack(s) }
		for range 2 {
			if got, err = r.UpdateOnce(ctx, s.ID, "wf:ack-1", counted); err != nil {
				t.Fatal(err)
			}
		}
		if calls != 1 || got.Version != 3 || got.Recipients[0].State != infoslip.RecipientAcknowledged {
			t.Fatalf("after the retried acknowledgement (%d calls): %+v", calls, got)
		}
		// A new acknowledgement (another id) is the domain's refusal, 409.
		if _, err := r.UpdateOnce(ctx, s.ID, "wf:ack-2", ack); !errors.Is(err, domain.ErrSlipAlreadyAcknowledged) || apperr.From(err).Kind != apperr.KindConflict {
			t.Fatalf("acknowledging twice: %v", err)
		}

		// A refusal stores nothing, nor does a failure after fn changed the
		// slip, nor a change that changes nothing.
		entries := count(t, gdb, "SELECT COUNT(*) FROM slip_entries")
		boom := errors.New("boom")
		if _, err := r.Update(ctx, s.ID, func(s *domain.Slip) ([]domain.SlipEntry, error) {
			s.State = infoslip.StateWithdrawn
			s.Recipients[1].State = infoslip.RecipientDone
			return []domain.SlipEntry{{Kind: domain.SlipKindWithdrawn}}, boom
		}); !errors.Is(err, boom) {
			t.Fatalf("a failing change: %v", err)
		}
		if _, err := r.Update(ctx, s.ID, func(*domain.Slip) ([]domain.SlipEntry, error) { return nil, nil }); err != nil {
			t.Fatal(err)
		}
		if stored, _ := r.Get(ctx, s.ID); !reflect.DeepEqual(stored, got) || count(t, gdb, "SELECT COUNT(*) FROM slip_entries") != entries {
			t.Fatalf("a change that failed or changed nothing was stored: %+v", stored)
		}

		// A stale version is refused.
		if _, err := r.Update(ctx, s.ID, func(s *domain.Slip) ([]domain.SlipEntry, error) {
			if err := domain.CheckSlipVersion(*s, 2); err != nil {
				return nil, err
			}
			return apply(domain.SlipCommand{Op: infoslip.OpWithdraw, Actor: "rep-ana"}, at)(s)
		}); !errors.Is(err, domain.ErrSlipVersionConflict) {
			t.Fatalf("a change against version 2: %v", err)
		}

		// Forwarding adds a part; adding two parts writes two entries whose
		// ids follow the first's.
		got, err = r.UpdateOnce(ctx, s.ID, "wf:fwd-1", apply(domain.SlipCommand{Op: infoslip.OpForward, Actor: "mkt-mo", Recipient: 2,
			Text: "Bo has the account", To: &domain.RecipientInput{Kind: infoslip.KindPerson, UserID: "rep-bo"}}, at.Add(2*time.Minute)))
		if err != nil || len(got.Recipients) != 3 || got.Recipients[1].State != infoslip.RecipientForwarded || got.Recipients[2].ForwardedFrom != 2 {
			t.Fatalf("forwarded: %+v %v", got.Recipients, err)
		}
		got, err = r.UpdateOnce(ctx, s.ID, "wf:add-1", apply(domain.SlipCommand{Op: infoslip.OpAdd, Actor: "rep-ana",
			Adds: []domain.RecipientInput{toDept("sales", "south"), toPerson("svc-lin")}}, at.Add(3*time.Minute)))
		if err != nil || len(got.Recipients) != 5 || got.Version != 5 {
			t.Fatalf("added: %+v %v", got, err)
		}
		if stored, _ := r.Get(ctx, s.ID); !reflect.DeepEqual(stored, got) {
			t.Fatalf("returned %+v\nstored   %+v", got, stored)
		}
		tl, _ := r.Timeline(ctx, s.ID, nil, 100)
		var ids, kinds []string
		for _, e := range tl.Items {
			ids, kinds = append(ids, e.ID), append(kinds, e.Kind)
		}
		if !reflect.DeepEqual(ids[1:], []string{"wf:route-1", "wf:ack-1", "wf:fwd-1", "wf:add-1", "wf:add-1/1"}) ||
			!reflect.DeepEqual(kinds, []string{"created", "routed", "acknowledged", "forwarded", "added", "added"}) {
			t.Fatalf("timeline %v %v", ids, kinds)
		}

		// The workflow's chase entries: once, and the slip does not change.
		e, err := domain.SlipChaseEntry(got, domain.SlipKindReminded, 3, "reminded Bo", at.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		e.ID = "wf:remind-3-1"
		for range 2 {
			if err := r.Record(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		if n := count(t, gdb, "SELECT COUNT(*) FROM slip_entries WHERE kind = ?", domain.SlipKindReminded); n != 1 {
			t.Fatalf("%d reminders recorded", n)
		}
		if stored, _ := r.Get(ctx, s.ID); stored.Version != got.Version {
			t.Fatalf("a reminder changed the slip: version %d", stored.Version)
		}
		e.SlipID, e.ID = slipID(99), "wf:remind-x"
		if err := r.Record(ctx, e); !errors.Is(err, domain.ErrSlipNotFound) {
			t.Fatalf("a reminder of a missing slip: %v", err)
		}

		// A change that loses a part is a bug, stored nowhere.
		if _, err := r.Update(ctx, s.ID, func(s *domain.Slip) ([]domain.SlipEntry, error) {
			s.Recipients = s.Recipients[:1]
			return []domain.SlipEntry{{Kind: domain.SlipKindDismissed}}, nil
		}); err == nil {
			t.Fatal("a change removing parts was stored")
		}
		if _, err := r.Update(ctx, slipID(99), apply(domain.SlipCommand{Op: infoslip.OpWithdraw, Actor: "rep-ana"}, at)); !errors.Is(err, domain.ErrSlipNotFound) {
			t.Fatalf("a missing slip: %v", err)
		}
	})
}

// The bad input on a stored slip: a clear 4xx and nothing changed.
func TestSlipRefusalsStoreNothing(t *testing.T) {
	eachSlips(t, func(t *testing.T, r *adapters.Slips, gdb *gorm.DB) {
		ctx := context.Background()
		at := st0.Add(time.Hour)
		s := fileSlip(t, r, 1, slipSender("rep-ana", "north"), st0, toPerson("svc-sun"), toPerson("mkt-mo"))
		if _, err := r.Update(ctx, s.ID, apply(domain.SlipCommand{Op: infoslip.OpAcknowledge, Actor: "svc-sun", Recipient: 1}, at)); err != nil {
			t.Fatal(err)
		}
		w := fileSlip(t, r, 2, slipSender("rep-ana", "north"), st0, toPerson("svc-sun"))
		if _, err := r.Update(ctx, w.ID, apply(domain.SlipCommand{Op: infoslip.OpWithdraw, Actor: "rep-ana", Text: "sorted"}, at)); err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name   string
			id     string
			cmd    domain.SlipCommand
			status int
			code   string
		}{
			{"acknowledging twice", s.ID, domain.SlipCommand{Op: infoslip.OpAcknowledge, Actor: "svc-sun", Recipient: 1}, 409, infoslip.CodeAlreadyAcknowledged},
			{"acting on a withdrawn slip", w.ID, domain.SlipCommand{Op: infoslip.OpDone, Actor: "svc-sun", Recipient: 1, Text: "x"}, 409, infoslip.CodeSlipWithdrawn},
			{"rejecting without a reason", s.ID, domain.SlipCommand{Op: infoslip.OpReject, Actor: "mkt-mo", Recipient: 2}, 422, infoslip.CodeReasonRequired},
			{"done without a note", s.ID, domain.SlipCommand{Op: infoslip.OpDone, Actor: "svc-sun", Recipient: 1}, 422, infoslip.CodeNoteRequired},
			{"adding a person outside the organisation", s.ID, domain.SlipCommand{Op: infoslip.OpAdd, Actor: "rep-ana",
				Adds: []domain.RecipientInput{toPerson("svc-lin"), toPerson("stranger")}}, 422, "unknown_user"},
			{"forwarding to nobody", s.ID, domain.SlipCommand{Op: infoslip.OpForward, Actor: "mkt-mo", Recipient: 2}, 422, infoslip.CodeInvalid},
			{"confirming an open slip", s.ID, domain.SlipCommand{Op: infoslip.OpConfirm, Actor: "rep-ana"}, 409, infoslip.CodeNotAllDone},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				before, _ := r.Get(ctx, c.id)
				entries := count(t, gdb, "SELECT COUNT(*) FROM slip_entries")
				parts := count(t, gdb, "SELECT COUNT(*) FROM slip_recipients")
				_, err := r.Update(ctx, c.id, apply(c.cmd, at.Add(time.Minute)))
				e := apperr.From(err)
				status := map[apperr.Kind]int{apperr.KindConflict: 409, apperr.KindRule: 422}[e.Kind]
				code := e.Code
				if len(e.Fields) > 0 {
					code = e.Fields[len(e.Fields)-1].Code
				}
				if err == nil || status != c.status || code != c.code {
					t.Fatalf("%v (%d %s), want %d %s", err, status, code, c.status, c.code)
				}
				after, _ := r.Get(ctx, c.id)
				if !reflect.DeepEqual(after, before) || count(t, gdb, "SELECT COUNT(*) FROM slip_entries") != entries ||
					count(t, gdb, "SELECT COUNT(*) FROM slip_recipients") != parts {
					t.Fatalf("the refusal changed the slip: %+v", after)
				}
			})
		}
	})
}

// Twenty recipients acknowledge at once: one consistent slip, every
// acknowledgement kept. Then twenty withdraw it at once: exactly one does.
func TestSlipConcurrentUpdates(t *testing.T) {
	eachSlips(t, func(t *testing.T, r *adapters.Slips, gdb *gorm.DB) {
		ctx := context.Background()
		const n = 20
		var rs []domain.RecipientInput
		for i := range n {
			rs = append(rs, toPerson(fmt.Sprintf("p-%02d", i)))
		}
		s := fileSlip(t, r, 1, slipSender("rep-ana", "north"), st0, rs...)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				_, errs[i] = r.UpdateOnce(ctx, s.ID, fmt.Sprintf("wf:ack-%d", i), apply(domain.SlipCommand{Op: infoslip.OpAcknowledge,
					Actor: fmt.Sprintf("p-%02d", i), Recipient: int32(i + 1)}, st0.Add(time.Duration(i+1)*time.Second)))
			})
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		got, _ := r.Get(ctx, s.ID)
		if got.Version != 1+n || count(t, gdb, "SELECT COUNT(*) FROM slip_entries WHERE kind = ?", domain.SlipKindAcknowledged) != n {
			t.Fatalf("version %d after %d acknowledgements", got.Version, n)
		}
		for _, p := range got.Recipients {
			if p.State != infoslip.RecipientAcknowledged || p.AcknowledgedAt == nil || !p.AcknowledgedAt.Equal(st0.Add(time.Duration(p.N)*time.Second)) {
				t.Fatalf("part %+v", p)
			}
		}
		for i := range n {
			wg.Go(func() {
				_, errs[i] = r.Update(ctx, s.ID, apply(domain.SlipCommand{Op: infoslip.OpWithdraw, Actor: "rep-ana", Text: fmt.Sprint("try ", i)}, st0.Add(time.Hour)))
			})
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, domain.ErrSlipWithdrawn):
				t.Errorf("a loser got %v", err)
			}
		}
		if won != 1 || count(t, gdb, "SELECT COUNT(*) FROM slip_entries WHERE kind = ?", domain.SlipKindWithdrawn) != 1 {
			t.Fatalf("%d withdrew the slip", won)
		}
	})
}

// What a change clears is cleared in storage too: an objection clears the
// part's done instant and the slip's all-done instant; re-routing an
// acknowledged part clears its acknowledgement.
func TestSlipUpdateClears(t *testing.T) {
	eachSlips(t, func(t *testing.T, r *adapters.Slips, _ *gorm.DB) {
		ctx := context.Background()
		s := fileSlip(t, r, 1, slipSender("rep-ana", "north"), st0, toDept("service", ""))
		at := st0.Add(time.Hour)
		var got domain.Slip
		var err error
		for _, c := range []domain.SlipCommand{
			{Op: infoslip.OpRoute, Actor: "mgr-svc", Recipient: 1, UserID: "svc-sun"},
			{Op: infoslip.OpDone, Actor: "svc-sun", Recipient: 1, Text: "done"},
		} {
			if got, err = r.Update(ctx, s.ID, apply(c, at)); err != nil {
				t.Fatal(err)
			}
		}
		if got.AllDoneAt == nil || got.Recipients[0].DoneAt == nil {
			t.Fatalf("done: %+v", got)
		}
		for _, c := range []domain.SlipCommand{
			{Op: infoslip.OpObject, Actor: "rep-ana", Recipient: 1, Text: "not yet"},
			{Op: infoslip.OpRoute, Actor: "mgr-svc", Recipient: 1, UserID: "svc-lin"},
		} {
			if got, err = r.Update(ctx, s.ID, apply(c, at.Add(time.Hour))); err != nil {
				t.Fatal(err)
			}
		}
		stored, _ := r.Get(ctx, s.ID)
		p := stored.Recipients[0]
		if !reflect.DeepEqual(stored, got) || stored.AllDoneAt != nil || p.DoneAt != nil || p.AcknowledgedAt != nil ||
			p.State != infoslip.RecipientPending || p.UserID != "svc-lin" || p.ActionNote != "done" {
			t.Fatalf("stored %+v\nreturned %+v", stored, got)
		}
	})
}
