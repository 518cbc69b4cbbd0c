package policy

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Reference renders the analysts' reference of every timer policy as
// Markdown: how clocks, ladders and policy changes work, then every policy of
// the catalogue grouped by workflow (what it does, its shape, its default in
// JSON and in words, the values it accepts), then the follow-up kinds and the
// policies that time and escalate them.
//
// The text comes only from the catalogue and the kinds, in their order, so it
// is the same on every call; docs/timer-policies.md embeds it and a test keeps
// the two equal. The general explanations describe what this package and the
// follow-up engine (workflows/followup) do; change them with that code.
func Reference() string {
	var b strings.Builder
	b.WriteString(referenceIntro)
	writePolicies(&b)
	writeKinds(&b)
	return b.String()
}

const referenceIntro = `## How timer policies work

Every time a Closeloop workflow waits — how long a rep has to contact a new lead, when a
missed deadline is escalated and to whom, how often a customer must be contacted — the
length of the wait is a **timer policy**: a named value that analysts change at runtime,
without a new release. Each policy has a fixed **shape**:

- a **timer**: one duration, such as "4 business hours";
- a **ladder**: steps, each an action at an offset, such as "remind at once, then the
  manager after 4 business hours";
- a **table**: one duration per key, such as one per ABC class or per service priority.
  Every key needs an entry, no other key is accepted, and each entry has its own clock.

### Clocks: calendar time and business time

Every duration is counted on one of two clocks, set in the value's ` + "`clock`" + ` field:

- **Calendar time** (` + "`\"clock\": \"calendar\"`" + `) is elapsed time: nights, weekends and
  holidays count. Durations are written in days, hours and minutes: ` + "`30d`, `8h`, `1h30m`" + `
  (a day is 24 hours).
- **Business time** (` + "`\"clock\": \"business\"`" + `) counts only the working time of a business
  calendar: its working hours, not its holidays, plus its make-up working days (see
  [Business calendars](business-calendars.md)). Business durations are written in hours and
  minutes only — ` + "`16h`, not `2d`" + ` — because a business day is as long as its calendar's working
  hours.

A business-time value may name its calendar in a ` + "`calendar`" + ` field; the name must be a
stored calendar. When it names none, the calendar assigned to the follow-up's team is
used, else the one assigned to its region (territory), else the default calendar. A
calendar-time value cannot name a calendar.

Durations are counted in whole minutes, written with the units ` + "`d`, `h` and `m`" + `, each at most
once and the largest first (` + "`1d4h30m`" + `). The allowed range of a policy applies to the
duration itself, whatever its clock: an upper bound of 30 days (` + "`30d`" + `) allows at most
` + "`720h`" + ` of business time.

### Ladders

A ladder has one clock (and calendar) for all its steps. Each step has an offset
(` + "`after`" + `) and an action. Offsets are counted from the start of the ladder, not from the
previous step; for an escalation ladder the start is the **missed due time**. In "remind at
once, then the manager after 4 business hours, then reassign after 16 business hours" the
reassignment comes 16 business hours after the due time, 12 after the manager step.

Offsets must strictly increase, a ladder has at least one step and at most the policy's
maximum, and each policy allows only the actions listed for it. A step at ` + "`0m`" + ` happens
as soon as the ladder starts; in business time, at the first working moment from then: a
due time at the end of the morning's working hours is followed by a ` + "`0m`" + ` step when the
afternoon's working hours begin. Each escalation step carried out is recorded on the
follow-up.

### When a policy changes

Each change makes a new version of the policy. When the new version comes into force,
every workflow with an open follow-up that uses an older version of the policy
re-computes its pending deadlines from the follow-up's original anchor (when the lead was
assigned, when the visit ended, …) under the new version, and records the version it now
uses. A change to a business calendar the follow-up counts on is handled the same way.

- A **shortened** deadline falls due at the new, earlier time — at once if that time has
  already passed.
- A **lengthened** deadline waits for the new, later time; it does not fire early.
- **Escalation steps already carried out stay done**: they are neither repeated nor taken
  back. The remaining steps are counted from the new due time. If the ladder itself
  changed, steps count by position: after two steps, the next is the new ladder's third.

This is how the deadline and escalation policies of follow-ups behave (the kinds in the
last table of this page).

`

func writePolicies(b *strings.Builder) {
	defs := Catalogue()
	var workflows []string
	byWorkflow := map[string][]Definition{}
	for _, d := range defs {
		if _, ok := byWorkflow[d.Workflow]; !ok {
			workflows = append(workflows, d.Workflow)
		}
		byWorkflow[d.Workflow] = append(byWorkflow[d.Workflow], d)
	}

	b.WriteString("## Policies by workflow\n\n")
	b.WriteString("| workflow | policy | title | shape |\n| --- | --- | --- | --- |\n")
	for _, w := range workflows {
		for _, d := range byWorkflow[w] {
			fmt.Fprintf(b, "| %s | `%s` | %s | %s |\n", w, d.Name, d.Title, d.Shape)
		}
	}
	b.WriteString("\n")

	for _, w := range workflows {
		fmt.Fprintf(b, "### %s\n\n", capitalize(w))
		for _, d := range byWorkflow[w] {
			writePolicy(b, d)
		}
	}
}

func writePolicy(b *strings.Builder, d Definition) {
	fmt.Fprintf(b, "#### %s\n\n", d.Title)
	fmt.Fprintf(b, "`%s`\n\n", d.Name)
	fmt.Fprintf(b, "%s\n\n", d.Effect)
	fmt.Fprintf(b, "- **Shape:** %s\n", shapeWords(d))
	fmt.Fprintf(b, "- **Default:** %s\n", defaultWords(d))
	switch d.Shape {
	case ShapeLadder:
		fmt.Fprintf(b, "- **Allowed values:** 1 to %d steps, each from %s to %s after the start of the ladder, in strictly increasing order\n",
			d.MaxSteps, boundWords(d.Min), boundWords(d.Max))
		b.WriteString("- **Allowed actions:**\n")
		for _, a := range d.Actions {
			fmt.Fprintf(b, "  - `%s`: %s\n", a, actionMeaning(a))
		}
	case ShapeTable:
		quoted := make([]string, len(d.Keys))
		for i, k := range d.Keys {
			quoted[i] = "`" + k + "`"
		}
		fmt.Fprintf(b, "- **Keys:** %s — %s; each key needs an entry\n", strings.Join(quoted, ", "), d.KeyMeaning)
		fmt.Fprintf(b, "- **Allowed values:** each entry from %s to %s\n", boundWords(d.Min), boundWords(d.Max))
	default:
		fmt.Fprintf(b, "- **Allowed values:** from %s to %s\n", boundWords(d.Min), boundWords(d.Max))
	}
	fmt.Fprintf(b, "- **Follow-up kinds:** %s\n\n", kindsWords(d.Name))
	fmt.Fprintf(b, "Default in JSON:\n\n```json\n%s\n```\n\n", defaultJSON(d))
}

func writeKinds(b *strings.Builder) {
	b.WriteString("## Follow-up kinds\n\n")
	b.WriteString("A follow-up is one obligation, with an owner and a due time, nearly always towards a\n" +
		"customer (a notice's acknowledgement is owed to its publisher). Its kind fixes the policy\n" +
		"that sets the due time, counted from the follow-up's anchor, and the ladder that escalates\n" +
		"it once the due time has passed.\n\n")
	b.WriteString("| kind | the obligation | deadline policy | escalation policy |\n| --- | --- | --- | --- |\n")
	for _, k := range Kinds() {
		esc := "none"
		if k.Escalation != "" {
			esc = policyRef(k.Escalation)
		}
		dl := "the due time its opener sets"
		if k.Deadline != "" {
			dl = policyRef(k.Deadline)
		}
		fmt.Fprintf(b, "| `%s` | %s | %s | %s |\n", k.Name, k.Title, dl, esc)
	}
	b.WriteString("\n")
	b.WriteString("When the deadline policy is a table, the follow-up's key (its funnel stage, ABC class or\n" +
		"priority) picks the entry. When a person sets the due time of a follow-up themselves, the\n" +
		"deadline policy is not used; the escalation ladder still is. A kind without an escalation\n" +
		"policy is only marked overdue when its due time passes.\n")
}

func policyRef(name string) string {
	if d, ok := Lookup(name); ok {
		return fmt.Sprintf("`%s` (%s)", name, d.Title)
	}
	return "`" + name + "`"
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func shapeWords(d Definition) string {
	switch d.Shape {
	case ShapeTimer:
		return "timer — one duration"
	case ShapeLadder:
		return "ladder — steps, each an action at an offset"
	case ShapeTable:
		return "table — one duration per key"
	}
	return string(d.Shape)
}

// defaultWords says the default value in words, such as "4 business hours".
func defaultWords(d Definition) string {
	v := d.Default
	switch {
	case v.Timer != nil:
		return timerWords(*v.Timer)
	case v.Ladder != nil:
		return ladderWords(*v.Ladder) + ", counted from " + ladderStart(d.Name)
	case v.Table != nil:
		var parts []string
		for _, k := range tableKeys(d) {
			parts = append(parts, fmt.Sprintf("`%s`: %s", k, timerWords(v.Table[k])))
		}
		return strings.Join(parts, "; ")
	}
	return "none"
}

// ladderStart says what an escalation ladder's offsets count from; other
// ladders (the win-back touches) say it in their Effect.
func ladderStart(policyName string) string {
	for _, k := range kinds {
		if k.Escalation == policyName {
			return "the missed due time"
		}
	}
	return "the start described above"
}

// tableKeys lists a table's keys: the definition's, in its order, then any
// others the default has, sorted.
func tableKeys(d Definition) []string {
	keys := append([]string(nil), d.Keys...)
	for _, k := range sortedKeys(d.Default.Table) {
		if !containsString(d.Keys, k) {
			keys = append(keys, k)
		}
	}
	return keys
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func kindsWords(policyName string) string {
	var parts []string
	for _, k := range kinds {
		if policyName == "" {
			break
		}
		switch policyName {
		case k.Deadline:
			parts = append(parts, "`"+k.Name+"` (deadline)")
		case k.Escalation:
			parts = append(parts, "`"+k.Name+"` (escalation)")
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func timerWords(t Timer) string {
	s := amountWords(t.Duration, t.Clock)
	if t.Calendar != "" {
		s += fmt.Sprintf(" on the calendar %q", t.Calendar)
	}
	return s
}

// ladderWords says the steps, such as "remind the owner at once, then hand it
// to the owner's manager after 4 business hours".
func ladderWords(l Ladder) string {
	parts := make([]string, len(l.Steps))
	for i, s := range l.Steps {
		when := "at once"
		if s.After != 0 {
			when = "after " + amountWords(s.After, l.Clock)
		}
		parts[i] = actionWords(s.Action) + " " + when
	}
	s := strings.Join(parts, ", then ")
	if l.Calendar != "" {
		s += fmt.Sprintf(" (on the calendar %q)", l.Calendar)
	}
	return s
}

// amountWords says d on clock c: "4 business hours", "30 calendar days",
// "1 business hour and 30 minutes". Business time has no days.
func amountWords(d Duration, c Clock) string {
	qual := "calendar"
	if c == ClockBusiness {
		qual = "business"
	}
	return durationWords(d, qual, c != ClockBusiness)
}

// boundWords says a bound, which applies whatever the clock: "15 minutes
// (`15m`)", "30 days (`30d`, or `720h` in business time)".
func boundWords(d Duration) string {
	s := fmt.Sprintf("%s (`%s`", durationWords(d, "", true), d)
	if strings.Contains(d.String(), "d") {
		s += fmt.Sprintf(", or `%s` in business time", d.Format(ClockBusiness))
	}
	return s + ")"
}

func durationWords(d Duration, qual string, days bool) string {
	v := time.Duration(d)
	if v == 0 {
		return "0 minutes"
	}
	units := []struct {
		unit time.Duration
		name string
	}{{24 * time.Hour, "day"}, {time.Hour, "hour"}, {time.Minute, "minute"}}
	if !days {
		units = units[1:]
	}
	var parts []string
	for _, u := range units {
		n := v / u.unit
		if n == 0 {
			continue
		}
		v -= n * u.unit
		name := u.name
		if n != 1 {
			name += "s"
		}
		if len(parts) == 0 && qual != "" {
			name = qual + " " + name
		}
		parts = append(parts, fmt.Sprintf("%d %s", n, name))
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// actionWords is a step's action as a short phrase for a ladder in words.
func actionWords(a Action) string {
	switch a {
	case ActionRemind:
		return "remind the owner"
	case ActionEscalateManager:
		return "hand it to the owner's manager"
	case ActionReassign:
		return "reassign it"
	case ActionReturnToPool:
		return "return the lead to the pool"
	case ActionEscalateOriginator:
		return "tell the managers of the team that asked for it"
	case ActionRaisePriority:
		return "raise the case's priority"
	case ActionCall:
		return "a call"
	case ActionVisit:
		return "a visit"
	case ActionOffer:
		return "an offer"
	case ActionEmail:
		return "an email"
	}
	return "`" + string(a) + "`"
}

// actionMeaning is what an action does, for the list of allowed actions.
func actionMeaning(a Action) string {
	switch a {
	case ActionRemind:
		return "reminds the owner of the follow-up"
	case ActionEscalateManager:
		return "hands the follow-up to the owner's manager"
	case ActionReassign:
		return "gives the work to another owner by the assignment rules"
	case ActionReturnToPool:
		return "returns the lead to the unassigned pool"
	case ActionEscalateOriginator:
		return "escalates to the managers of the team that asked for the work (an info slip's originator's team): they are told and see it on their overdue board"
	case ActionRaisePriority:
		return "raises the service case's priority one level (P1 stays P1: then it escalates to the manager)"
	case ActionCall:
		return "a win-back touch: a call"
	case ActionVisit:
		return "a win-back touch: a visit"
	case ActionOffer:
		return "a win-back touch: an offer"
	case ActionEmail:
		return "a win-back touch: the campaign's email to the customer's contact"
	}
	return string(a)
}

// defaultJSON is the default value in its JSON form, one step or table entry
// a line. Each part is encoded by the value's own JSON encoding, so the text
// parses back to the default.
func defaultJSON(d Definition) string {
	v := d.Default
	enc := func(x any) string {
		raw, err := json.Marshal(x)
		if err != nil {
			panic(err) // values always encode
		}
		return spaced(raw)
	}
	switch {
	case v.Ladder != nil:
		l := *v.Ladder
		head := `{"ladder": {"clock": ` + enc(l.Clock)
		if l.Calendar != "" {
			head += `, "calendar": ` + enc(l.Calendar)
		}
		lines := []string{head + `, "steps": [`}
		for i, s := range l.Steps {
			line := "  " + enc(stepJSON{After: s.After.Format(l.Clock), Action: s.Action})
			if i < len(l.Steps)-1 {
				line += ","
			}
			lines = append(lines, line)
		}
		return strings.Join(append(lines, "]}}"), "\n")
	case v.Table != nil:
		lines := []string{`{"table": {`}
		keys := tableKeys(d)
		for i, k := range keys {
			line := "  " + enc(k) + ": " + enc(v.Table[k])
			if i < len(keys)-1 {
				line += ","
			}
			lines = append(lines, line)
		}
		return strings.Join(append(lines, "}}"), "\n")
	}
	return spaced(v.MustJSON())
}

// spaced puts a space after every colon and comma of compact JSON that is not
// inside a string.
func spaced(raw []byte) string {
	var b strings.Builder
	inString, escaped := false, false
	for _, c := range string(raw) {
		b.WriteRune(c)
		switch {
		case escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case !inString && (c == ':' || c == ','):
			b.WriteByte(' ')
		}
	}
	return b.String()
}
