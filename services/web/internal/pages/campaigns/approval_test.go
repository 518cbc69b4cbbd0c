package campaigns_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/closeloop/closeloop/services/web/webtest"
)

// TestRequestApprovalOnTheCampaignPage: a draft's owner is offered "Ask for
// approval", which posts request-approval at the version read; once asked,
// the page says who asked and when, in both languages, and offers it no
// more; a refusal is said on the form; an analyst is not offered it.
func TestRequestApprovalOnTheCampaignPage(t *testing.T) {
	fake := newFakeMarketing(t)
	s := webtest.New(t, webtest.Opts{NoTemporal: true, WebEnv: map[string]string{"MARKETING_API_URL": fake.URL}})
	ivy, ali := s.Client(t, "mkt-ivy"), s.Client(t, "analyst-ali")
	path := "/campaigns/" + draftID

	fake.put(draft(), nil)
	p := ivy.Get(path)
	must(t, "a draft, to its owner", p, http.StatusOK, `id="f-request-approval"`, `action="`+path+`/request-approval"`, "Ask for approval")
	lacks(t, "a draft, to its owner", p, `id="approval-request"`)
	lacks(t, "a draft, to an analyst", ali.Get(path), `id="f-request-approval"`)

	p = ivy.Post(path+"/request-approval", url.Values{"version": {"4"}})
	must(t, "asked", p, http.StatusOK, "The marketing managers of its team are asked to approve the campaign")
	sent := fake.requests("POST", "/v1/campaigns/"+draftID+"/request-approval")
	if len(sent) != 1 || sent[0].Body["expected_version"] != float64(4) {
		t.Fatalf("asking sent %+v", sent)
	}

	fake.put(with(draft(), map[string]any{"approval_request": map[string]any{"by": "mkt-ivy", "by_name": "Ivy <Lee>", "at": "2026-02-21T01:00:00Z"}}), nil)
	p = ivy.Get(path)
	must(t, "an asked draft", p, http.StatusOK, `<span id="approval-request">Approval requested by Ivy &lt;Lee&gt; at 2026-02-21 09:00</span>`)
	lacks(t, "an asked draft", p, `id="f-request-approval"`)
	must(t, "an asked draft in Chinese", ivy.Get(path, "Accept-Language", "zh-CN,zh;q=0.9"), http.StatusOK, "由 Ivy &lt;Lee&gt; 于 2026-02-21 09:00 申请审批")

	fake.put(draft(), nil)
	fake.answer("POST /v1/campaigns/"+draftID+"/request-approval", http.StatusUnprocessableEntity,
		refusal("approval_request_not_draft", "only a draft campaign is submitted for approval; this one is past that"))
	p = ivy.Post(path+"/request-approval", url.Values{"version": {"4"}})
	must(t, "refused", p, http.StatusUnprocessableEntity, `id="request-approval-problem"`, `id="f-request-approval"`)
}
