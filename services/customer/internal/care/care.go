// Package care keeps existing customers from being neglected: per ABC class
// the care.cadence policy sets the longest gap without a logged contact, and
// when a customer's gap runs out its owner gets a care-contact follow-up that
// escalates when ignored (care.escalation_ladder).
//
// # How it scales
//
// Nothing runs per customer while its gap is open. Each customer row carries
// its care anchor (care_from: the later of its last logged contact and when it
// entered care) and an epoch. The CareSweep workflow, on a schedule and right
// after every ABC reclassification, asks this package for the customers whose
// care contact falls due within a lookahead — an index range scan per class —
// and starts one FollowUp workflow for each, with an id derived from
// (customer, anchor, epoch) so that concurrent sweeps and retried pages start
// it once. The follow-up's own durable timer then fires at the exact due
// instant. Running workflows therefore number the care contacts about to fall
// due or overdue, not the customers.
//
// # Keeping open follow-ups true
//
// A logged contact closes the open care follow-up (package actions, visit
// logs) and moves the anchor. The sweep's reconciliation pass closes any open
// care follow-up whose customer changed since it was opened: a new class
// (reclassification takes effect at once), a new owner, a lifecycle stage out
// of care, deletion — and one a contact has answered but that is still open.
// Every close without a contact bumps the customer's epoch, so the next
// follow-up, if still due, gets a fresh id; a person who cancels a care
// follow-up waives that round, and the cadence restarts from the cancellation.
package care

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"
	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/apperr"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/services/customer/internal/followups"
	"github.com/closeloop/closeloop/services/customer/internal/policies"
	"github.com/closeloop/closeloop/workflows/calendar"
	"github.com/closeloop/closeloop/workflows/policy"
)

// Stages are the lifecycle stages of customers in care.
var Stages = []string{"transacting", "service"}

// inCare is the SQL condition of the partial index ix_customers_care; the
// candidate query repeats it literally so the planner uses the index.
const inCare = "deleted_at IS NULL AND lifecycle_stage IN ('transacting', 'service') AND owner_id <> ''"

// Actor is who the sweep closes and opens follow-ups as.
const Actor = "system:care"

const parallelism = 16

func ts(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// Touch records a contact with the customers at an instant, inside the
// caller's transaction: their last contact and care anchor move forward to it
// (never back).
func Touch(tx *gorm.DB, customerIDs []string, at time.Time) error {
	if len(customerIDs) == 0 {
		return nil
	}
	at = ts(at)
	if err := tx.Exec(`UPDATE customers SET last_contact_at = ? WHERE id IN ? AND (last_contact_at IS NULL OR last_contact_at < ?)`,
		at, customerIDs, at).Error; err != nil {
		return err
	}
	return tx.Exec(`UPDATE customers SET care_from = ? WHERE id IN ? AND (care_from IS NULL OR care_from < ?)`, at, customerIDs, at).Error
}

// EnterCare restarts a customer's care anchor when it moves into a care stage
// from outside care (a prospect's first order): the cadence counts from then.
func EnterCare(tx *gorm.DB, customerID, from, to string, at time.Time) error {
	if !isCareStage(to) || isCareStage(from) {
		return nil
	}
	at = ts(at)
	return tx.Exec(`UPDATE customers SET care_from = ? WHERE id = ? AND (care_from IS NULL OR care_from < ?)`, at, customerID, at).Error
}

func isCareStage(s string) bool { return s == Stages[0] || s == Stages[1] }

// OnClose is the follow-up close hook (followups.Service.OnClose): it runs in
// the transaction that closes any follow-up and acts on care contacts.
//
//   - done: the owner met the obligation. Unless a contact was already logged
//     after the follow-up's anchor, the close itself counts as the contact.
//   - cancelled: the epoch moves so the next follow-up gets a fresh id; when a
//     person (not the workflow or the system) cancelled it, the round is
//     waived and the cadence restarts from now.
func OnClose(tx *gorm.DB, r followups.Row, state, by string, at time.Time) error {
	if r.Kind != policy.KindCareContact {
		return nil
	}
	at = ts(at)
	switch state {
	case followups.StateDone:
		return tx.Exec(`UPDATE customers SET care_from = ?, last_contact_at = ?
			WHERE id = ? AND care_from <= ? AND (last_contact_at IS NULL OR last_contact_at < ?)`,
			at, at, r.CustomerID, ts(r.AnchorAt), at).Error
	case followups.StateCancelled:
		if err := tx.Exec(`UPDATE customers SET care_epoch = care_epoch + 1 WHERE id = ?`, r.CustomerID).Error; err != nil {
			return err
		}
		if byPerson(by) {
			return tx.Exec(`UPDATE customers SET care_from = ? WHERE id = ? AND care_from < ?`, at, r.CustomerID, at).Error
		}
	}
	return nil
}

func byPerson(by string) bool {
	return by != "" && by != "workflow" && by != "system" && !strings.HasPrefix(by, "system:")
}

// FollowUpID is the id of the care follow-up of a customer for one anchor and
// epoch: the same for every sweep that finds it due.
func FollowUpID(customerID string, anchor time.Time, epoch int64) string {
	return uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "closeloop/care\x00%s\x00%d\x00%d", customerID, ts(anchor).UnixMicro(), epoch)).String()
}

// Service runs the sweep's pages.
type Service struct {
	db        *gorm.DB
	policies  *policies.Service
	followups *followups.Service
	wf        followups.Workflows
}

// New returns the service.
func New(gdb *gorm.DB, p *policies.Service, f *followups.Service, wf followups.Workflows) *Service {
	return &Service{db: gdb, policies: p, followups: f, wf: wf}
}

// openCare is an open care follow-up with its customer as it is now.
type openCare struct {
	OwnerID, PolicyKey              string
	AnchorAt                        time.Time
	CustOwner, CustClass, CustStage string
	CustDeleted                     bool
	CustCareFrom, CustLastContact   *time.Time
	CustFound                       bool
}

// verdict says whether an open care follow-up still applies: "" when it does,
// else the state to close it with and why.
func (o openCare) verdict() (state, note string) {
	switch {
	case !o.CustFound || o.CustDeleted:
		return followups.StateCancelled, "the customer was deleted"
	case !isCareStage(o.CustStage):
		return followups.StateCancelled, "the customer left care: its lifecycle stage is now " + o.CustStage
	case o.CustOwner == "":
		return followups.StateCancelled, "the customer has no owner any more"
	case o.CustClass != o.PolicyKey:
		return followups.StateCancelled, fmt.Sprintf("the customer's value class changed from %s to %s", orNone(o.PolicyKey), orNone(o.CustClass))
	case o.CustOwner != o.OwnerID:
		return followups.StateCancelled, fmt.Sprintf("the customer's owner changed from %s to %s", o.OwnerID, o.CustOwner)
	case o.CustLastContact != nil && o.CustLastContact.After(o.AnchorAt):
		return followups.StateDone, "a contact was logged at " + o.CustLastContact.UTC().Format(time.RFC3339)
	case o.CustCareFrom != nil && o.CustCareFrom.After(o.AnchorAt):
		return followups.StateCancelled, "the care cadence restarted at " + o.CustCareFrom.UTC().Format(time.RFC3339)
	}
	return "", ""
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// ReconcilePage checks one page of open care follow-ups against their
// customers and closes those that no longer apply (see the package doc).
func (s *Service) ReconcilePage(ctx context.Context, in *followupv1.CareReconcilePageInput) (*followupv1.CareReconcilePageResult, error) {
	limit := int(in.GetLimit())
	if limit <= 0 || limit > 5000 {
		limit = 500
	}
	var rows []followups.Row
	q := s.db.WithContext(ctx).Where("kind = ? AND closed_at IS NULL", policy.KindCareContact)
	if in.GetAfterId() != "" {
		q = q.Where("id > ?", in.GetAfterId())
	}
	if err := q.Order("id").Limit(limit).Find(&rows).Error; err != nil {
		return nil, err
	}
	res := &followupv1.CareReconcilePageResult{Checked: int64(len(rows))}
	if len(rows) == limit {
		res.NextAfterId = rows[len(rows)-1].ID
	}
	if len(rows) == 0 {
		return res, nil
	}
	cancelled, completed, err := s.settle(ctx, rows, Actor)
	if err != nil {
		return nil, err
	}
	res.Cancelled, res.Completed = int64(len(cancelled)), int64(len(completed))
	return res, nil
}

// CloseAnswered closes, as done by the contact's author, the open care
// follow-ups of customers a contact was just logged with (after Touch
// committed), whoever's they are: care is owed to the customer, and a
// contact by any department answers it. It returns the follow-ups closed.
func (s *Service) CloseAnswered(ctx context.Context, customerIDs []string, by string) ([]followups.Row, error) {
	if len(customerIDs) == 0 {
		return nil, nil
	}
	var rows []followups.Row
	if err := s.db.WithContext(ctx).Where("kind = ? AND closed_at IS NULL AND customer_id IN ?", policy.KindCareContact, customerIDs).
		Order("id").Find(&rows).Error; err != nil {
		return nil, err
	}
	_, completed, err := s.settle(ctx, rows, by)
	return completed, err
}

// settle closes the open care follow-ups among rows that no longer apply:
// done (by doneBy) when a contact answered them, cancelled by the system when
// their customer changed. It returns the rows it cancelled and completed.
func (s *Service) settle(ctx context.Context, rows []followups.Row, doneBy string) (cancelled, completed []followups.Row, err error) {
	if len(rows) == 0 {
		return nil, nil, nil
	}
	ids := make([]string, 0, len(rows))
	for _, r := range rows {
		ids = append(ids, r.CustomerID)
	}
	type cust struct {
		ID, OwnerID, ValueClass, LifecycleStage string
		DeletedAt                               *time.Time
		CareFrom, LastContactAt                 *time.Time
	}
	var custs []cust
	if err := s.db.WithContext(ctx).Table("customers").Select("id, owner_id, value_class, lifecycle_stage, deleted_at, care_from, last_contact_at").
		Where("id IN ?", ids).Find(&custs).Error; err != nil {
		return nil, nil, err
	}
	byID := make(map[string]cust, len(custs))
	for _, c := range custs {
		byID[c.ID] = c
	}
	type closing struct {
		row         followups.Row
		state, note string
		by          string
	}
	var stale []closing
	for _, r := range rows {
		c, found := byID[r.CustomerID]
		o := openCare{OwnerID: r.OwnerID, PolicyKey: r.PolicyKey, AnchorAt: r.AnchorAt,
			CustOwner: c.OwnerID, CustClass: c.ValueClass, CustStage: c.LifecycleStage, CustDeleted: c.DeletedAt != nil, CustCareFrom: c.CareFrom, CustLastContact: c.LastContactAt, CustFound: found}
		state, note := o.verdict()
		switch state {
		case "":
			continue
		case followups.StateDone:
			stale = append(stale, closing{r, state, note, doneBy})
			completed = append(completed, r)
		default:
			stale = append(stale, closing{r, state, note, Actor})
			cancelled = append(cancelled, r)
		}
	}
	err = each(ctx, len(stale), func(i int) error {
		st := stale[i]
		sig := &followupv1.CloseSignal{State: st.state, By: st.by, Note: st.note}
		if err := s.wf.Signal(ctx, st.row.WorkflowID, wfc.SignalCloseFollowUp, sig); err != nil && !errors.Is(err, followups.ErrWorkflowGone) {
			return err
		}
		// Closed here too, at once, so the open pass that follows sees the
		// customer free; the workflow's own close is then a no-op.
		return s.followups.Close(ctx, &followupv1.CloseFollowUpInput{Id: st.row.ID, State: st.state, By: st.by, Note: st.note})
	})
	if err != nil {
		return nil, nil, err
	}
	return cancelled, completed, nil
}

// candidate is a customer whose care contact may fall due within the lookahead.
type candidate struct {
	ID, Name, OwnerID, Team, Region, ValueClass string
	CareFrom                                    time.Time
	CareEpoch                                   int64
	LastContactAt                               *time.Time
}

// OpenPage opens the care follow-ups of one page of customers of a class whose
// care contact falls due by at + lookahead and who have no open one.
func (s *Service) OpenPage(ctx context.Context, in *followupv1.CareOpenPageInput) (*followupv1.CareOpenPageResult, error) {
	class := in.GetValueClass()
	if class != "A" && class != "B" && class != "C" {
		return nil, apperr.Invalid("invalid", fmt.Sprintf("value class %q: use A, B or C", class))
	}
	limit := int(in.GetLimit())
	if limit <= 0 || limit > 5000 {
		limit = 500
	}
	at := time.Now()
	if in.GetAt() != nil {
		at = in.GetAt().AsTime()
	}
	horizon := ts(at.Add(in.GetLookahead().AsDuration()))

	res, err := s.policies.Resolve(ctx, []string{policy.CareCadence}, "", "", at)
	if err != nil {
		return nil, err
	}
	value, err := policy.Parse(res.GetPolicies()[0].GetValueJson())
	if err != nil {
		return nil, fmt.Errorf("policy %s: %w", policy.CareCadence, err)
	}
	timer, ok := value.TimerFor(class)
	if !ok {
		return nil, fmt.Errorf("policy %s has no entry for class %s", policy.CareCadence, class)
	}
	// Business time never runs faster than elapsed time, so anchor+duration
	// bounds every due time from below: the index range below is a superset
	// of the due customers, made exact per customer when the clock is business.
	bound := ts(horizon.Add(-timer.Duration.D()))

	q := s.db.WithContext(ctx).Table("customers").
		Select("id, name, owner_id, team, region, value_class, care_from, care_epoch, last_contact_at").
		Where(inCare).Where("value_class = ? AND care_from <= ?", class, bound).
		Where("NOT EXISTS (SELECT 1 FROM follow_ups f WHERE f.customer_id = customers.id AND f.kind = ? AND f.closed_at IS NULL)", policy.KindCareContact)
	if a := in.GetAfter(); a != nil {
		from := ts(a.GetAnchor().AsTime())
		q = q.Where("(care_from > ? OR (care_from = ? AND id > ?))", from, from, a.GetCustomerId())
	}
	var rows []candidate
	if err := q.Order("care_from, id").Limit(limit).Find(&rows).Error; err != nil {
		return nil, err
	}
	out := &followupv1.CareOpenPageResult{Scanned: int64(len(rows))}
	if len(rows) == limit {
		last := rows[len(rows)-1]
		out.Next = &followupv1.CareCursor{Anchor: timestamppb.New(last.CareFrom), CustomerId: last.ID}
	}

	due := rows[:0:0]
	if timer.Clock == policy.ClockBusiness {
		cals := map[string]*calendar.Calendar{}
		for _, c := range rows {
			key := c.Team + "\x00" + c.Region
			cal, ok := cals[key]
			if !ok {
				if cal, err = s.calendarFor(ctx, timer, c.Team, c.Region, at); err != nil {
					return nil, err
				}
				cals[key] = cal
			}
			d, err := timer.Due(c.CareFrom, cal)
			if err != nil {
				return nil, err
			}
			if d.After(horizon) {
				out.NotYetDue++
				continue
			}
			due = append(due, c)
		}
	} else {
		due = rows
	}

	title := func(c candidate) string {
		since := "no contact logged since " + c.CareFrom.UTC().Format("2006-01-02")
		if c.LastContactAt != nil {
			since = "last contact " + c.LastContactAt.UTC().Format("2006-01-02")
		}
		return fmt.Sprintf("Care contact with %s (class %s, %s)", c.Name, c.ValueClass, since)
	}
	err = each(ctx, len(due), func(i int) error {
		c := due[i]
		return s.wf.StartFollowUp(ctx, &followupv1.FollowUpSpec{
			Id: FollowUpID(c.ID, c.CareFrom, c.CareEpoch), Kind: policy.KindCareContact, CustomerId: c.ID, OwnerId: c.OwnerID,
			Team: c.Team, Territory: c.Region, Title: truncate(title(c), 300), AnchorAt: timestamppb.New(c.CareFrom),
			PolicyKey: c.ValueClass, OpenedBy: Actor,
		})
	})
	if err != nil {
		return nil, err
	}
	out.Opened = int64(len(due))
	return out, nil
}

func (s *Service) calendarFor(ctx context.Context, timer policy.Timer, team, region string, at time.Time) (*calendar.Calendar, error) {
	res, err := s.policies.Resolve(ctx, []string{policy.CareCadence}, team, region, at)
	if err != nil {
		return nil, err
	}
	name := timer.Calendar
	if name == "" {
		name = res.GetAssignedCalendar()
	}
	for _, c := range res.GetCalendars() {
		if c.GetName() == name {
			return policy.CalendarFromJSON(c.GetSpecJson())
		}
	}
	return nil, fmt.Errorf("calendar %q was not resolved", name)
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

// each runs fn for 0..n-1 from a few goroutines (each call is a round trip to
// Temporal) and returns the first error.
func each(ctx context.Context, n int, fn func(i int) error) error {
	var (
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
		work  = make(chan int)
	)
	for range min(parallelism, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				if err := fn(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	for i := range n {
		if ctx.Err() != nil {
			break
		}
		work <- i
	}
	close(work)
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}
