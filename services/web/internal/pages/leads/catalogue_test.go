package leads

import (
	"encoding/json"
	"io/fs"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/services/web/internal/console"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

func catalogue(t *testing.T, lang string) map[string]any {
	t.Helper()
	raw, err := fs.ReadFile(locales, "locales/"+lang+".json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s: %v", lang, err)
	}
	return m
}

// Both languages have the same messages, every message id the pages name
// literally is in them, and so is every value of the enums the pages
// translate (states, sources, channels, stages, ladder actions, timeline
// kinds, refusal codes of the sales API).
func TestCatalogues(t *testing.T) {
	en, zh := catalogue(t, "en"), catalogue(t, "zh-Hans")
	for k := range en {
		if _, ok := zh[k]; !ok {
			t.Errorf("zh-Hans lacks %s", k)
		}
		if !strings.HasPrefix(k, "leads.") {
			t.Errorf("%s is not prefixed leads.", k)
		}
	}
	for k := range zh {
		if _, ok := en[k]; !ok {
			t.Errorf("en lacks %s", k)
		}
	}
	var used []string
	idRE := regexp.MustCompile(`"(leads\.[a-z0-9_.]*[a-z0-9_])"`)
	_ = fs.WalkDir(templates, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, _ := fs.ReadFile(templates, p)
		for _, m := range idRE.FindAllStringSubmatch(string(raw), -1) {
			used = append(used, m[1])
		}
		return nil
	})
	enum := func(prefix string, values ...string) {
		for _, v := range values {
			used = append(used, prefix+v)
		}
	}
	enum("leads.state.", leadStates...)
	enum("leads.esc.", escalationViews...)
	enum("leads.channel.", channels...)
	enum("leads.source.", "web", "phone", "email", "referral", "event", "campaign", "partner", "other")
	enum("leads.action.", "remind", "escalate_manager", "reassign", "return_to_pool")
	enum("leads.esc.idle.", "pool", "cancelled", "contacted", "closed")
	enum("leads.opp_status.", "open", "won", "lost")
	enum("leads.done.", leadActions...)
	enum("leads.opp.done.", opportunityActions...)
	enum("leads.event.", "created", "assigned", "reassigned", "pooled", "customer_failed", "first_contact", "contact",
		"reminder", "escalated", "qualified", "disqualified", "converted", "stage_changed", "edited", "won", "lost")
	enum("leads.error.", "lead_closed", "invalid_lead_transition", "same_owner", "already_pooled", "rep_not_in_territory",
		"rep_at_capacity", "customer_owned", "customer_not_visible", "opportunity_closed", "stage_unchanged",
		"stage_backwards_forbidden", "workflow_unavailable", "update_pending")
	for _, s := range stages {
		used = append(used, "leads.stage."+strconv.Itoa(s))
	}
	for _, id := range used {
		if _, ok := en[id]; !ok {
			t.Errorf("%s is used but not in the catalogues", id)
		}
	}
}

// The pages' templates parse over the layout and the catalogues load.
func TestMount(t *testing.T) {
	v, err := view.New("UTC", "")
	if err != nil {
		t.Fatal(err)
	}
	gin.SetMode(gin.TestMode)
	if err := Mount(gin.New(), &console.Deps{View: v}); err != nil {
		t.Fatal(err)
	}
}
