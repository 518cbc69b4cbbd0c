package app

import (
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	servicev1 "github.com/closeloop/closeloop/proto/gen/closeloop/service/v1"
	"github.com/closeloop/closeloop/services/service/internal/domain"
)

// SlipView is a slip as the API shows it. Instants are UTC.
type SlipView struct {
	ID         string `json:"id"`
	CustomerID string `json:"customer_id"`
	// CustomerName is the customer's name when the slip was sent (as its
	// sender saw it).
	CustomerName  string `json:"customer_name"`
	ContactID     string `json:"contact_id"`
	LeadID        string `json:"lead_id"`
	OpportunityID string `json:"opportunity_id"`
	CaseID        string `json:"case_id"`
	VisitID       string `json:"visit_id"`
	Subject       string `json:"subject"`
	Body          string `json:"body"`
	// Category: complaint, market_intelligence, competitor, quality,
	// customer_change or other.
	Category string `json:"category"`
	// Urgency: urgent, high, normal or low.
	Urgency     string           `json:"urgency"`
	Attachments []AttachmentView `json:"attachments"`
	// DueAt is when the originator wants the whole slip closed.
	DueAt           *time.Time `json:"due_at"`
	OriginatorID    string     `json:"originator_id"`
	OriginatorName  string     `json:"originator_name"`
	OriginatorTeams []string   `json:"originator_teams"`
	// State: open, closed or withdrawn.
	State      string          `json:"state"`
	Recipients []RecipientView `json:"recipients"`
	Version    int64           `json:"version"`
	CreatedAt  time.Time       `json:"created_at"`
	UpdatedAt  time.Time       `json:"updated_at"`
	// AllDoneAt: every part is done since then (the confirmation period
	// counts from it); AutoCloseAt: when it closes by itself unless the
	// originator objects (live, from the workflow).
	AllDoneAt      *time.Time `json:"all_done_at"`
	AutoCloseAt    *time.Time `json:"auto_close_at,omitempty"`
	ClosedAt       *time.Time `json:"closed_at"`
	ClosedBy       string     `json:"closed_by"`
	WithdrawnAt    *time.Time `json:"withdrawn_at"`
	WithdrawReason string     `json:"withdraw_reason"`
}

// AttachmentView is an attachment's metadata (the file is at URL).
type AttachmentView struct {
	Name        string `json:"name"`
	Size        int64  `json:"size"`
	ContentType string `json:"content_type"`
	URL         string `json:"url"`
}

// RecipientView is one recipient's part of a slip.
type RecipientView struct {
	N int32 `json:"n"`
	// Kind: department or person.
	Kind       string `json:"kind"`
	Department string `json:"department"`
	Team       string `json:"team"`
	// UserID is who acts ("" a department's part nobody was routed to yet).
	UserID   string `json:"user_id"`
	UserName string `json:"user_name"`
	// State: pending, acknowledged, done, rejected, forwarded or dismissed.
	State          string     `json:"state"`
	ReceivedAt     time.Time  `json:"received_at"`
	RoutedBy       string     `json:"routed_by"`
	RoutedAt       *time.Time `json:"routed_at"`
	AcknowledgedAt *time.Time `json:"acknowledged_at"`
	DoneAt         *time.Time `json:"done_at"`
	ActionNote     string     `json:"action_note"`
	RejectedAt     *time.Time `json:"rejected_at"`
	RejectReason   string     `json:"reject_reason"`
	// The chain: the part this one was forwarded or re-routed to, and the
	// one it came from (0 none).
	ForwardedTo   int32  `json:"forwarded_to"`
	ForwardedFrom int32  `json:"forwarded_from"`
	ReroutedTo    int32  `json:"rerouted_to"`
	ReroutedFrom  int32  `json:"rerouted_from"`
	AddedBy       string `json:"added_by"`
	// FollowUpID is the follow-up chasing the part now, and Level the
	// escalation steps it has taken (live, from the workflow).
	FollowUpID string `json:"follow_up_id,omitempty"`
	Level      int32  `json:"level,omitempty"`
}

// SlipEntryView is one entry of a slip's timeline.
type SlipEntryView struct {
	ID string `json:"id"`
	// Kind: created, routed, acknowledged, done, rejected, forwarded, added,
	// rerouted, dismissed, objected, closed, withdrawn, reminded, escalated.
	Kind      string    `json:"kind"`
	Actor     string    `json:"actor"`
	At        time.Time `json:"at"`
	Recipient int32     `json:"recipient"`
	Body      string    `json:"body"`
	Reason    string    `json:"reason"`
	From      string    `json:"from"`
	To        string    `json:"to"`
}

// SlipOf is s as the API shows it.
func SlipOf(s domain.Slip) SlipView {
	v := SlipView{ID: s.ID, CustomerID: s.CustomerID, CustomerName: s.CustomerName, ContactID: s.ContactID, LeadID: s.LeadID, OpportunityID: s.OpportunityID,
		CaseID: s.CaseID, VisitID: s.VisitID, Subject: s.Subject, Body: s.Body, Category: s.Category, Urgency: s.Urgency,
		Attachments: []AttachmentView{}, DueAt: utcp(s.DueAt), OriginatorID: s.OriginatorID, OriginatorName: s.OriginatorName,
		OriginatorTeams: append([]string{}, s.OriginatorTeams...), State: s.State, Recipients: []RecipientView{}, Version: s.Version,
		CreatedAt: s.CreatedAt.UTC(), UpdatedAt: s.UpdatedAt.UTC(), AllDoneAt: utcp(s.AllDoneAt), ClosedAt: utcp(s.ClosedAt),
		ClosedBy: s.ClosedBy, WithdrawnAt: utcp(s.WithdrawnAt), WithdrawReason: s.WithdrawReason}
	for _, a := range s.Attachments {
		v.Attachments = append(v.Attachments, AttachmentView{Name: a.Name, Size: a.Size, ContentType: a.ContentType, URL: a.URL})
	}
	for _, r := range s.Recipients {
		v.Recipients = append(v.Recipients, RecipientView{N: r.N, Kind: r.Kind, Department: r.Department, Team: r.Team,
			UserID: r.UserID, UserName: r.UserName, State: r.State, ReceivedAt: r.ReceivedAt.UTC(), RoutedBy: r.RoutedBy,
			RoutedAt: utcp(r.RoutedAt), AcknowledgedAt: utcp(r.AcknowledgedAt), DoneAt: utcp(r.DoneAt), ActionNote: r.ActionNote,
			RejectedAt: utcp(r.RejectedAt), RejectReason: r.RejectReason, ForwardedTo: r.ForwardedTo, ForwardedFrom: r.ForwardedFrom,
			ReroutedTo: r.ReroutedTo, ReroutedFrom: r.ReroutedFrom, AddedBy: r.AddedBy})
	}
	return v
}

// live adds what only the workflow knows: each part's running chase and
// when an all-done slip closes by itself.
func (v *SlipView) live(snap *servicev1.SlipSnapshot) {
	if snap == nil {
		return
	}
	for _, r := range snap.GetRecipients() {
		for i := range v.Recipients {
			if v.Recipients[i].N == r.GetN() {
				v.Recipients[i].FollowUpID, v.Recipients[i].Level = r.GetFollowUpId(), r.GetLevel()
			}
		}
	}
	v.AutoCloseAt = tsp(snap.GetAutoCloseAt())
}

// SlipEntryOf is a timeline entry as the API shows it.
func SlipEntryOf(e domain.SlipEntry) SlipEntryView {
	return SlipEntryView{ID: e.ID, Kind: e.Kind, Actor: e.Actor, At: e.At.UTC(), Recipient: e.Recipient, Body: e.Body,
		Reason: e.Reason, From: e.From, To: e.To}
}

// SlipSnapshot is s as its workflow knows it (the workflow's input, and
// what the ApplySlipCommand activity answers).
func SlipSnapshot(s domain.Slip, org domain.Org) *servicev1.SlipSnapshot {
	out := &servicev1.SlipSnapshot{SlipId: s.ID, CustomerId: s.CustomerID, Subject: s.Subject, Category: s.Category,
		Urgency: s.Urgency, State: s.State, OriginatorId: s.OriginatorID, OriginatorTeams: append([]string{}, s.OriginatorTeams...),
		CreatedAt: timestamppb.New(s.CreatedAt), DueAt: pts(s.DueAt), AllDoneAt: pts(s.AllDoneAt), Version: s.Version}
	if ds := org.DepartmentsOf(s.OriginatorTeams); len(ds) > 0 {
		out.OriginatorDepartment = ds[0]
	}
	if s.ClosedAt != nil {
		out.ClosedAt = timestamppb.New(*s.ClosedAt)
	} else if s.WithdrawnAt != nil {
		out.ClosedAt = timestamppb.New(*s.WithdrawnAt)
	}
	for _, r := range s.Recipients {
		out.Recipients = append(out.Recipients, &servicev1.SlipRecipient{N: r.N, Kind: r.Kind, Department: r.Department,
			Team: r.Team, UserId: r.UserID, State: r.State, ReceivedAt: timestamppb.New(r.ReceivedAt),
			AcknowledgedAt: pts(r.AcknowledgedAt), DoneAt: pts(r.DoneAt)})
	}
	return out
}

func pts(t *time.Time) *timestamppb.Timestamp {
	if t == nil {
		return nil
	}
	return timestamppb.New(*t)
}

// CommandProto is cmd as the slip-command update carries it.
func CommandProto(slipID string, cmd domain.SlipCommand) *servicev1.SlipCommand {
	out := &servicev1.SlipCommand{SlipId: slipID, Op: cmd.Op, Actor: cmd.Actor, Recipient: cmd.Recipient, Text: cmd.Text,
		UserId: cmd.UserID}
	spec := func(r domain.RecipientInput) *servicev1.RecipientSpec {
		return &servicev1.RecipientSpec{Kind: r.Kind, Department: r.Department, Team: r.Team, UserId: r.UserID}
	}
	if cmd.To != nil {
		out.To = append(out.To, spec(*cmd.To))
	}
	for _, r := range cmd.Adds {
		out.To = append(out.To, spec(r))
	}
	for _, p := range cmd.People {
		out.People = append(out.People, &servicev1.SlipPerson{Id: p.ID, Name: p.Name, Teams: p.Teams, Manager: p.Manager, Enabled: p.Enabled})
	}
	return out
}

// CommandOf is the slip-command update's payload as the domain's command:
// the inverse of CommandProto, for the ApplySlipCommand activity.
func CommandOf(in *servicev1.SlipCommand, org domain.Org) domain.SlipCommand {
	cmd := domain.SlipCommand{Op: in.GetOp(), Actor: in.GetActor(), Recipient: in.GetRecipient(), Text: in.GetText(),
		UserID: in.GetUserId(), People: map[string]domain.Person{}, Org: org,
		ConfirmAfter: time.Duration(in.GetConfirmAfterMs()) * time.Millisecond}
	var to []domain.RecipientInput
	for _, r := range in.GetTo() {
		to = append(to, domain.RecipientInput{Kind: r.GetKind(), Department: r.GetDepartment(), Team: r.GetTeam(), UserID: r.GetUserId()})
	}
	switch {
	case len(to) == 0:
	case in.GetOp() == "add":
		cmd.Adds = to
	default:
		cmd.To = &to[0]
	}
	for _, p := range in.GetPeople() {
		cmd.People[p.GetId()] = domain.Person{ID: p.GetId(), Name: p.GetName(), Teams: p.GetTeams(), Manager: p.GetManager(), Enabled: p.GetEnabled()}
	}
	return cmd
}
