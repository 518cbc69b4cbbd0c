package care

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/closeloop/closeloop/platform/apperr"
	customerc "github.com/closeloop/closeloop/proto/contract/customer"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/workflows/calendar"
	"github.com/closeloop/closeloop/workflows/policy"
)

// ErrNoTerms refuses a page of a sweep that did not pass the care terms: one
// started by a worker of the release before the sweep resolved them. The
// customer service no longer reads the engine's policies, so it cannot open
// the page; the next scheduled sweep does.
var ErrNoTerms = apperr.Invalid("care_terms_missing",
	"this care sweep passed no care terms (it was started by a worker of an earlier release): the next scheduled care sweep opens these care follow-ups")

// candidate is a customer whose care contact may fall due within the lookahead.
type candidate struct {
	ID, Name, OwnerID, Team, Region, ValueClass string
	CareFrom                                    time.Time
	CareEpoch                                   int64
	LastContactAt                               *time.Time
}

// OpenPage opens the care follow-ups of one page of customers of a class whose
// care contact falls due by at + lookahead and who have no open one, under
// the care terms the sweep resolved (in.terms).
//
// Each follow-up's workflow is started first and recorded in care_followups
// after: a page that fails in between (or a crash) leaves a running
// follow-up not yet recorded, which does not block its customer — the retried
// page, or the next sweep, finds the customer due again under the same
// follow-up id, starts nothing new (the start is idempotent) and records it.
// The other order could leave a recorded follow-up whose workflow never
// started, blocking the customer: its workflow would never end, so nothing
// would ever close the record.
func (s *Service) OpenPage(ctx context.Context, in *followupv1.CareOpenPageInput) (*followupv1.CareOpenPageResult, error) {
	class := in.GetValueClass()
	if class != "A" && class != "B" && class != "C" {
		return nil, apperr.Invalid("invalid", fmt.Sprintf("value class %q: use A, B or C", class))
	}
	terms := in.GetTerms()
	if terms.GetCadence() == nil {
		return nil, ErrNoTerms
	}
	limit := int(in.GetLimit())
	if limit <= 0 || limit > 5000 {
		limit = 500
	}
	at := s.now()
	if in.GetAt() != nil {
		at = in.GetAt().AsTime()
	}
	horizon := ts(at.Add(in.GetLookahead().AsDuration()))
	timer, err := cadenceTimer(terms, class)
	if err != nil {
		return nil, apperr.Invalid("invalid", err.Error())
	}
	if err := s.rememberTerms(ctx, terms, at); err != nil {
		return nil, err
	}
	// Business time never runs faster than elapsed time, so anchor+duration
	// bounds every due time from below: the index range below is a superset
	// of the due customers, made exact per customer when the clock is business.
	bound := ts(horizon.Add(-timer.Duration.D()))

	q := s.db.WithContext(ctx).Table("customers").
		Select("id, name, owner_id, team, region, value_class, care_from, care_epoch, last_contact_at").
		Where(inCare).Where("value_class = ? AND care_from <= ?", class, bound).
		Where("NOT EXISTS (SELECT 1 FROM care_followups f WHERE f.customer_id = customers.id AND f.closed_at IS NULL)")
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
				if cal, err = policy.CareTermsCalendar(terms, timer.Calendar, c.Team, c.Region); err != nil {
					return nil, apperr.Invalid("invalid", err.Error())
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

	started := make([]bool, len(due))
	err = each(ctx, len(due), func(i int) error {
		if err := s.wf.StartFollowUp(ctx, spec(due[i])); err != nil {
			return err
		}
		started[i] = true
		return nil
	})
	// Whatever started is recorded, even when another start failed.
	now := ts(s.now())
	recs := make([]FollowUp, 0, len(due))
	for i, c := range due {
		if started[i] {
			id := FollowUpID(c.ID, c.CareFrom, c.CareEpoch)
			recs = append(recs, FollowUp{ID: id, CustomerID: c.ID, OwnerID: c.OwnerID, PolicyKey: c.ValueClass, AnchorAt: ts(c.CareFrom),
				Epoch: c.CareEpoch, WorkflowID: wfc.FollowUpWorkflowID(id), OpenedAt: now, State: StateOpen})
		}
	}
	if rerr := s.record(ctx, recs); rerr != nil && err == nil {
		err = rerr
	}
	if err != nil {
		return nil, err
	}
	out.Opened = int64(len(due))
	return out, nil
}

// spec is the FollowUp workflow's spec of a candidate's care follow-up; its
// close notice comes back to this service (Closed).
func spec(c candidate) *followupv1.FollowUpSpec {
	since := "no contact logged since " + c.CareFrom.UTC().Format("2006-01-02")
	if c.LastContactAt != nil {
		since = "last contact " + c.LastContactAt.UTC().Format("2006-01-02")
	}
	title := fmt.Sprintf("Care contact with %s (class %s, %s)", c.Name, c.ValueClass, since)
	return &followupv1.FollowUpSpec{
		Id: FollowUpID(c.ID, c.CareFrom, c.CareEpoch), Kind: policy.KindCareContact, CustomerId: c.ID, OwnerId: c.OwnerID,
		Team: c.Team, Territory: c.Region, Title: truncate(title, 300), AnchorAt: timestamppb.New(c.CareFrom),
		PolicyKey: c.ValueClass, OpenedBy: Actor,
		Notify: &followupv1.CloseNotice{TaskQueue: customerc.TaskQueue, Activity: customerc.ActivityCareFollowUpClosed},
	}
}
