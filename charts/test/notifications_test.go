package charttest

import (
	"net"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

// egressAllowsIP: some egress rule of np lets a connection to ip on TCP port
// through by an ipBlock (a rule without peers admits every destination).
func egressAllowsIP(t *testing.T, np *networkingv1.NetworkPolicy, ip string, port int) bool {
	t.Helper()
	addr := net.ParseIP(ip)
	for _, rule := range np.Spec.Egress {
		if !portsAdmit(rule.Ports, port, "") {
			continue
		}
		if len(rule.To) == 0 {
			return true
		}
		for _, peer := range rule.To {
			if peer.IPBlock == nil {
				continue
			}
			_, cidr, err := net.ParseCIDR(peer.IPBlock.CIDR)
			if err != nil {
				t.Fatalf("%s: ipBlock %q: %v", np.Name, peer.IPBlock.CIDR, err)
			}
			if !cidr.Contains(addr) {
				continue
			}
			excluded := false
			for _, ex := range peer.IPBlock.Except {
				_, e, err := net.ParseCIDR(ex)
				if err != nil {
					t.Fatalf("%s: except %q: %v", np.Name, ex, err)
				}
				if !cidr.Contains(e.IP) {
					t.Errorf("%s: except %s is not inside %s (the API server refuses it)", np.Name, ex, peer.IPBlock.CIDR)
				}
				excluded = excluded || e.Contains(addr)
			}
			if !excluded {
				return true
			}
		}
	}
	return false
}

// TestNotificationEgress: with NetworkPolicies on and a relay set, the
// followup pods (and no other: the service component has no survey URL here,
// see TestSurveyEmail) reach the relay's port and webhook receivers on public
// addresses over https, never the private ranges (the cloud metadata address
// included) and never plain http, unless the values allow them; the password
// reaches the pod only through the chart-created Secret.
func TestNotificationEgress(t *testing.T) {
	// The issuer on an address of its own: an OIDC rule without peers would open
	// 443 to every address and hide what the webhook rule allows.
	base := append([]string{"-f", minimal, "--set", "networkPolicy.enabled=true",
		"--set-json", `networkPolicy.egress.oidcTo=[{"ipBlock":{"cidr":"198.51.100.10/32"}}]`}, withSMTP...)
	base = append(base, "--set", "notifications.smtp.username=crm", "--set", "notifications.smtp.password=ci-smtp-password-in-a-test")
	policies := func(t *testing.T, args ...string) map[string]*networkingv1.NetworkPolicy {
		t.Helper()
		rendered := mustRender(t, append(slicesClone(base), args...)...)
		r := parseRelease(t, rendered)
		checkRelease(t, r, existing{}, []string{"ci-smtp-password-in-a-test"}, rendered)
		out := map[string]*networkingv1.NetworkPolicy{}
		for _, o := range r.ofKind("NetworkPolicy") {
			np := o.Obj.(*networkingv1.NetworkPolicy)
			out[np.Labels["app.kubernetes.io/component"]] = np
		}
		fo, ok := r.find("Deployment", releaseName+"-followup")
		if !ok {
			t.Fatal("no followup Deployment")
		}
		ctr := fo.Obj.(*appsv1.Deployment).Spec.Template.Spec.Containers[0]
		var ref *corev1.SecretKeySelector
		for _, e := range ctr.Env {
			if e.Name == "SMTP_PASSWORD" && e.ValueFrom != nil {
				ref = e.ValueFrom.SecretKeyRef
			}
		}
		if ref == nil || ref.Name != releaseName+"-secrets" || ref.Key != "smtp-password" {
			t.Errorf("followup: SMTP_PASSWORD from %+v, want the chart-created Secret's smtp-password", ref)
		}
		return out
	}
	public, private := "203.0.113.7", []string{"10.1.2.3", "172.20.0.1", "192.168.1.1", "169.254.169.254", "127.0.0.1", "100.64.0.1"}

	nps := policies(t)
	fu := nps["followup"]
	if fu == nil {
		t.Fatal("no followup NetworkPolicy")
	}
	if !egressAllowsPort(fu, 587, corev1.ProtocolTCP) {
		t.Errorf("followup cannot reach the relay's port 587: %v", fu.Spec.Egress)
	}
	if !egressAllowsIP(t, fu, public, 443) {
		t.Errorf("followup cannot reach a public webhook receiver on 443: %v", fu.Spec.Egress)
	}
	for _, ip := range private {
		if egressAllowsIP(t, fu, ip, 443) {
			t.Errorf("followup reaches private address %s on 443 without notifications.webhooks.allowPrivate", ip)
		}
	}
	if egressAllowsIP(t, fu, public, 80) {
		t.Error("followup reaches port 80 without notifications.webhooks.allowHTTP")
	}
	for c, np := range nps {
		if c == "followup" {
			continue
		}
		if egressAllowsPort(np, 587, corev1.ProtocolTCP) {
			t.Errorf("%s: egress to the relay's port, but only followup sends email", c)
		}
		for _, rule := range np.Spec.Egress {
			for _, peer := range rule.To {
				if peer.IPBlock != nil && peer.IPBlock.CIDR == "0.0.0.0/0" {
					t.Errorf("%s: egress to any address (%v), but only followup sends webhooks", c, rule)
				}
			}
		}
	}

	fu = policies(t, "--set", "notifications.webhooks.allowPrivate=true", "--set", "notifications.webhooks.allowHTTP=true")["followup"]
	for _, ip := range append(private, public) {
		if !egressAllowsIP(t, fu, ip, 443) || !egressAllowsIP(t, fu, ip, 80) {
			t.Errorf("with allowPrivate and allowHTTP, followup cannot reach %s on 443 and 80", ip)
		}
	}

	fu = policies(t, "--set", "notifications.webhooks.egress=false")["followup"]
	if egressAllowsIP(t, fu, public, 443) {
		t.Error("with notifications.webhooks.egress=false, followup still reaches webhook receivers")
	}
}
