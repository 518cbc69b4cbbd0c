package charttest

import (
	"net/url"
	"reflect"
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// testUnsubscribeKey is a signing key the chart accepts (at least 32 bytes).
const testUnsubscribeKey = "ci-test-unsubscribe-key-of-at-least-32-bytes"

// TestUnsubscribeLinksReachOnlyTheUnsubscribePages: with the console behind the
// chart's Ingress and email touches given a public URL on one of its hosts
// (emailTouches.publicURL), the unsubscribe links the marketing component writes
// (UNSUBSCRIBE_PUBLIC_BASE_URL) reach its pages through that Ingress, and the
// ingress controller (networkPolicy.webFrom) is admitted to the marketing pods'
// HTTP port; every other path of the host, the marketing /v1 API among them, goes
// to the console (the survey paths to the service, as before). With
// emailTouches.ingress off, or without a public URL, no path goes to the
// marketing component and the ingress controller is not admitted to it.
func TestUnsubscribeLinksReachOnlyTheUnsubscribePages(t *testing.T) {
	controller := networkingv1.NetworkPolicyPeer{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": "ingress-nginx"}}}
	base := []string{"-f", minimal, "--set", "networkPolicy.enabled=true",
		"--set-json", `networkPolicy.webFrom=[{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"ingress-nginx"}}}]`,
		"--set", "web.enabled=true", "--set", "web.sessionKey=" + testSessionKey, "--set", "web.ingress.enabled=true",
		"--set", "web.ingress.hosts[0]=crm.example.com", "--set", "web.ingress.hosts[1]=crm.internal",
		"--set", "web.ingress.tls[0].secretName=crm-tls", "--set", "web.ingress.tls[0].hosts[0]=crm.example.com",
		"--set", "emailTouches.key=" + testUnsubscribeKey}
	for _, tc := range []struct {
		name      string
		args      []string
		publicURL string // UNSUBSCRIBE_PUBLIC_BASE_URL, "" for none
		routed    bool
	}{
		{"routed", []string{"--set", "emailTouches.publicURL=https://crm.example.com/"}, "https://crm.example.com", true},
		{"emailTouches.ingress=false", []string{"--set", "emailTouches.publicURL=https://crm.example.com/", "--set", "emailTouches.ingress=false"}, "https://crm.example.com", false},
		{"no public URL", nil, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rendered := mustRender(t, append(slicesClone(base), tc.args...)...)
			r := parseRelease(t, rendered)
			checkRelease(t, r, existing{}, []string{testSessionKey, testUnsubscribeKey}, rendered)
			ings := r.ofKind("Ingress")
			if len(ings) != 1 {
				t.Fatalf("%d Ingresses, want 1", len(ings))
			}
			ing := ings[0].Obj.(*networkingv1.Ingress)
			mkt, svc, web := releaseName+"-marketing", releaseName+"-service", releaseName+"-web"

			mo, ok := r.find("Deployment", mkt)
			if !ok {
				t.Fatalf("no Deployment %s", mkt)
			}
			marketing := mo.Obj.(*appsv1.Deployment)
			link, ok := envValue(marketing.Spec.Template.Spec.Containers[0], "UNSUBSCRIBE_PUBLIC_BASE_URL")
			if link != tc.publicURL || ok != (tc.publicURL != "") {
				t.Errorf("UNSUBSCRIBE_PUBLIC_BASE_URL=%q (set: %v), want %q", link, ok, tc.publicURL)
			}
			for _, host := range []string{"crm.example.com", "crm.internal"} {
				for path, want := range map[string]string{
					"/unsubscribe/v1.3q2-7Yx":           mkt,
					"/unsubscribe":                      mkt,
					"/public/v1/unsubscribe/v1.3q2-7Yx": mkt,
					"/public/v1/unsubscribe":            mkt,
					"/unsubscribex":                     web,
					"/v1/campaigns":                     web,
					"/v1/opt-outs/42":                   web,
					"/public/v1/campaigns":              web,
					"/openapi.json":                     web,
					"/surveys/3q2-7Yx":                  svc,
					"/":                                 web,
				} {
					if !tc.routed && want == mkt {
						want = web
					}
					if got := ingressRoute(ing, host, path); got != want {
						t.Errorf("%s%s goes to %q, want %q", host, path, got, want)
					}
				}
			}
			if tc.routed {
				u, err := url.Parse(link + "/unsubscribe/v1.3q2-7Yx")
				if err != nil || ingressRoute(ing, u.Host, u.Path) != mkt {
					t.Errorf("the unsubscribe link %s/unsubscribe/… does not reach the marketing component through the Ingress (%v)", link, err)
				}
			}

			// The ingress controller reaches the marketing pods (their HTTP port)
			// only while the Ingress sends unsubscribe paths there; the service's
			// pods all along (the survey paths).
			port := 0
			for _, p := range marketing.Spec.Template.Spec.Containers[0].Ports {
				if p.Name == "http" {
					port = int(p.ContainerPort)
				}
			}
			admits := func(name string, port int) bool {
				npo, ok := r.find("NetworkPolicy", name)
				if !ok {
					t.Fatalf("no NetworkPolicy %s", name)
				}
				for _, rule := range npo.Obj.(*networkingv1.NetworkPolicy).Spec.Ingress {
					if slices.ContainsFunc(rule.From, func(p networkingv1.NetworkPolicyPeer) bool { return reflect.DeepEqual(p, controller) }) &&
						portsAdmit(rule.Ports, port, "http") {
						return true
					}
				}
				return false
			}
			if got := admits(mkt, port); got != tc.routed {
				t.Errorf("the marketing component's NetworkPolicy admits the ingress controller: %v, want %v", got, tc.routed)
			}
			if !admits(svc, 8083) {
				t.Error("the service's NetworkPolicy no longer admits the ingress controller for the survey pages")
			}
			for _, c := range []string{"customer", "followup", "sales"} {
				if admits(releaseName+"-"+c, 0) {
					t.Errorf("the %s NetworkPolicy admits the ingress controller; no Ingress path goes there", c)
				}
			}
		})
	}
}
