package servicecase

import "testing"

// Every pair of states: allowed exactly as the table in the package says,
// and each refusal with the code that tells the caller what to do instead.
func TestCheckTransition(t *testing.T) {
	allowed := map[[2]string]bool{
		{StateNew, StateOpen}: true, {StateNew, StatePendingInternal}: true, {StateNew, StateResolved}: true,
		{StateOpen, StatePendingCustomer}: true, {StateOpen, StatePendingInternal}: true, {StateOpen, StateResolved}: true,
		{StatePendingCustomer, StateOpen}: true, {StatePendingCustomer, StatePendingInternal}: true, {StatePendingCustomer, StateResolved}: true,
		{StatePendingInternal, StateOpen}: true, {StatePendingInternal, StatePendingCustomer}: true, {StatePendingInternal, StateResolved}: true,
		{StateResolved, StateClosed}: true,
	}
	for _, from := range States {
		for _, to := range States {
			r := CheckTransition(from, to)
			if (r == nil) != allowed[[2]string{from, to}] {
				t.Errorf("%s → %s: refusal %v, allowed %v", from, to, r, allowed[[2]string{from, to}])
			}
		}
	}
	for _, c := range []struct{ from, to, code string }{
		{StateClosed, StateOpen, CodeCaseClosed},
		{StateOpen, StateOpen, CodeStateUnchanged},
		{StateNew, StatePendingCustomer, CodeOpenFirst},
		{StateOpen, StateClosed, CodeResolveFirst},
		{StateResolved, StateOpen, CodeUseReopen},
		{StateOpen, "archived", CodeInvalid},
	} {
		if r := CheckTransition(c.from, c.to); r == nil || r.Code != c.code {
			t.Errorf("%s → %s: %v, want %s", c.from, c.to, r, c.code)
		}
	}
	if r := CheckTransition(StateOpen, "archived"); r.Field != "state" {
		t.Errorf("an unknown state is not a field error: %+v", r)
	}
}
