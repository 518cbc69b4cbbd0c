package policy

// Kind is the kind of a follow-up: the obligation it stands for. A kind fixes
// which policy times its deadline and which ladder escalates it when missed.
type Kind struct {
	Name string `json:"name"`
	// Deadline is the policy whose timer (or table entry) sets the due time,
	// counted from the follow-up's anchor instant; "" for a kind whose
	// follow-ups always come with their due time (a notice's deadline).
	Deadline string `json:"deadline_policy"`
	// Escalation is the ladder run once the due time has passed ("" for none).
	Escalation string `json:"escalation_policy,omitempty"`
	Title      string `json:"title"`
	// WithoutCustomer: its follow-ups are about no customer (a notice a
	// reader must acknowledge), so they carry no customer id. Every other
	// kind's follow-ups need one.
	WithoutCustomer bool `json:"without_customer,omitempty"`
}

// Follow-up kinds.
const (
	KindFirstContact      = "first_contact"
	KindStaleStage        = "stale_stage"
	KindVisitLog          = "visit_log"
	KindCareContact       = "care_contact"
	KindServiceResponse   = "service_response"
	KindServiceResolution = "service_resolution"
	KindRecoveryCall      = "recovery_call"
	KindSlipAck           = "slip_ack"
	KindSlipClose         = "slip_close"
	KindWinBackTouch      = "winback_touch"
	KindCallback          = "callback"
	KindNoticeAck         = "notice_ack"
)

var kinds = []Kind{
	{Name: KindFirstContact, Deadline: LeadFirstContactSLA, Escalation: LeadEscalation, Title: "first contact with a new lead"},
	{Name: KindStaleStage, Deadline: LeadStaleStage, Escalation: LeadEscalation, Title: "review of an opportunity stuck in a funnel stage"},
	{Name: KindVisitLog, Deadline: VisitLogDeadline, Escalation: VisitLogEscalation, Title: "log of a visit"},
	{Name: KindCareContact, Deadline: CareCadence, Escalation: CareEscalation, Title: "care contact with an existing customer"},
	{Name: KindServiceResponse, Deadline: ServiceResponseSLA, Escalation: ServiceEscalation, Title: "response to a service request"},
	{Name: KindServiceResolution, Deadline: ServiceResolutionSLA, Escalation: ServiceEscalation, Title: "resolution of a service request"},
	{Name: KindRecoveryCall, Deadline: ServiceRecoveryCall, Escalation: ServiceRecoveryLadder, Title: "a recovery call after a low satisfaction score"},
	{Name: KindSlipAck, Deadline: SlipAckDeadline, Escalation: SlipEscalation, Title: "acknowledgement of an info slip"},
	{Name: KindSlipClose, Deadline: SlipCloseDeadline, Escalation: SlipEscalation, Title: "closing a department's part of an info slip"},
	{Name: KindWinBackTouch, Deadline: WinBackTouchDeadline, Escalation: WinBackTouchLadder, Title: "a win-back touch"},
	{Name: KindCallback, Deadline: CallbackDeadline, Escalation: CallbackEscalation, Title: "a call-back someone promised"},
	// A notice's acknowledgement is due at the deadline its publisher set:
	// no deadline policy.
	{Name: KindNoticeAck, Escalation: NoticeAckEscalation, Title: "acknowledgement of a notice that asks for it", WithoutCustomer: true},
}

// Kinds returns every follow-up kind.
func Kinds() []Kind { return append([]Kind(nil), kinds...) }

// LookupKind returns the named kind.
func LookupKind(name string) (Kind, bool) {
	for _, k := range kinds {
		if k.Name == name {
			return k, true
		}
	}
	return Kind{}, false
}

// KindsUsing returns the kinds whose deadline or escalation is the policy.
func KindsUsing(policyName string) []string {
	var out []string
	for _, k := range kinds {
		if k.Deadline == policyName || k.Escalation == policyName {
			out = append(out, k.Name)
		}
	}
	return out
}
