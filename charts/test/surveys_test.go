package charttest

import (
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// serviceContainer returns the service component's container of a parsed release.
func serviceContainer(t *testing.T, r *release) corev1.Container {
	t.Helper()
	o, ok := r.find("Deployment", releaseName+"-service")
	if !ok {
		t.Fatalf("no Deployment %s-service", releaseName)
	}
	return o.Obj.(*appsv1.Deployment).Spec.Template.Spec.Containers[0]
}

// TestServiceCaseAndSurveySettings: the service component gets UPDATE_WAIT,
// CASE_START_INTERVAL and the SURVEY_* settings from policy.cases and surveys,
// in the forms its binary parses (Go durations, a share, whole numbers), with
// the binary's defaults (`service env`) when the values say nothing; no other
// component gets them.
func TestServiceCaseAndSurveySettings(t *testing.T) {
	type settings struct {
		durations map[string]time.Duration
		share     float64
		ints      map[string]int
	}
	for _, tc := range []struct {
		name string
		args []string
		want settings
	}{
		{"defaults", nil, settings{
			durations: map[string]time.Duration{"UPDATE_WAIT": 10 * time.Second, "CASE_START_INTERVAL": 15 * time.Second,
				"SURVEY_LINK_TTL": 720 * time.Hour, "SURVEY_RECOVERY_RETRY": time.Minute},
			share: 1,
			ints:  map[string]int{"SURVEY_COMMENT_REQUIRED_BELOW": 3, "SURVEY_RECOVERY_BELOW": 3, "SURVEY_EMAIL_ATTEMPTS": 5},
		}},
		{"set", []string{"--set", "policy.cases.updateWait=2m30s", "--set", "policy.cases.startInterval=1m", "--set", "surveys.linkTTL=168h",
			"--set", "surveys.recoveryRetry=45s", "--set-json", "surveys.sampleShare=0.05", "--set", "surveys.commentRequiredBelow=0",
			"--set", "surveys.recoveryBelow=6", "--set", "surveys.emailAttempts=12"}, settings{
			durations: map[string]time.Duration{"UPDATE_WAIT": 150 * time.Second, "CASE_START_INTERVAL": time.Minute,
				"SURVEY_LINK_TTL": 168 * time.Hour, "SURVEY_RECOVERY_RETRY": 45 * time.Second},
			share: 0.05,
			ints:  map[string]int{"SURVEY_COMMENT_REQUIRED_BELOW": 0, "SURVEY_RECOVERY_BELOW": 6, "SURVEY_EMAIL_ATTEMPTS": 12},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := parseRelease(t, mustRender(t, append([]string{"-f", minimal}, tc.args...)...))
			c := serviceContainer(t, r)
			for name, want := range tc.want.durations {
				if got := envDuration(t, "service", c, name, true); got != want {
					t.Errorf("service: %s=%v, want %v", name, got, want)
				}
			}
			v, _ := envValue(c, "SURVEY_SAMPLE_SHARE")
			if got, err := strconv.ParseFloat(v, 64); err != nil || got != tc.want.share {
				t.Errorf("service: SURVEY_SAMPLE_SHARE=%q, want %v", v, tc.want.share)
			}
			for name, want := range tc.want.ints {
				v, _ := envValue(c, name)
				if got, err := strconv.Atoi(v); err != nil || got != want {
					t.Errorf("service: %s=%q, want %d", name, v, want)
				}
			}
			for _, d := range r.deployments() {
				if d.Name == releaseName+"-service" {
					continue
				}
				for _, e := range d.Spec.Template.Spec.Containers[0].Env {
					if strings.HasPrefix(e.Name, "SURVEY_") || e.Name == "UPDATE_WAIT" || e.Name == "CASE_START_INTERVAL" {
						t.Errorf("%s: given %s, which only the service component reads", d.Name, e.Name)
					}
				}
			}
		})
	}
}

// ingressRoute is the Service an Ingress sends host and path to: the longest
// Prefix path that matches it element by element, as the Ingress API defines
// ("/surveys" matches "/surveys/x", not "/surveysx").
func ingressRoute(ing *networkingv1.Ingress, host, path string) string {
	best, service := -1, ""
	for _, rule := range ing.Spec.Rules {
		if rule.Host != host || rule.HTTP == nil {
			continue
		}
		for _, p := range rule.HTTP.Paths {
			prefix := strings.TrimSuffix(p.Path, "/")
			if p.PathType == nil || *p.PathType != networkingv1.PathTypePrefix ||
				!(path == prefix || strings.HasPrefix(path, prefix+"/")) || len(prefix) <= best {
				continue
			}
			best, service = len(prefix), p.Backend.Service.Name
		}
	}
	return service
}

// TestSurveyLinksReachOnlyTheSurveyPages: with the console behind the chart's
// Ingress, the survey links the service sends (SURVEY_PUBLIC_BASE_URL, the
// console's URL) reach the service's pages through that Ingress, and the
// ingress controller (networkPolicy.webFrom) is admitted to the service's pods;
// every other path of the host, the service's /v1 API among them, goes to the
// console. With surveys.ingress off, no path goes to the service, it gets no
// survey URL, and the ingress controller is not admitted to it.
func TestSurveyLinksReachOnlyTheSurveyPages(t *testing.T) {
	controller := networkingv1.NetworkPolicyPeer{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": "ingress-nginx"}}}
	base := []string{"-f", minimal, "--set", "networkPolicy.enabled=true",
		"--set-json", `networkPolicy.webFrom=[{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"ingress-nginx"}}}]`,
		"--set", "web.enabled=true", "--set", "web.sessionKey=" + testSessionKey, "--set", "web.ingress.enabled=true",
		"--set", "web.ingress.hosts[0]=crm.example.com", "--set", "web.ingress.hosts[1]=crm.internal",
		"--set", "web.ingress.tls[0].secretName=crm-tls", "--set", "web.ingress.tls[0].hosts[0]=crm.example.com"}
	for _, routed := range []bool{true, false} {
		t.Run("surveys.ingress="+strconv.FormatBool(routed), func(t *testing.T) {
			rendered := mustRender(t, append(slicesClone(base), "--set", "surveys.ingress="+strconv.FormatBool(routed))...)
			r := parseRelease(t, rendered)
			checkRelease(t, r, existing{}, []string{testSessionKey}, rendered)
			ings := r.ofKind("Ingress")
			if len(ings) != 1 {
				t.Fatalf("%d Ingresses, want 1", len(ings))
			}
			ing := ings[0].Obj.(*networkingv1.Ingress)
			svc, web := releaseName+"-service", releaseName+"-web"

			link, ok := envValue(serviceContainer(t, r), "SURVEY_PUBLIC_BASE_URL")
			if !routed {
				if ok {
					t.Errorf("SURVEY_PUBLIC_BASE_URL=%q, but no path of the Ingress reaches the service", link)
				}
			} else if link != "https://crm.example.com" {
				t.Errorf("SURVEY_PUBLIC_BASE_URL=%q, want the console's URL https://crm.example.com", link)
			}
			for _, host := range []string{"crm.example.com", "crm.internal"} {
				for path, want := range map[string]string{
					"/surveys/3q2-7Yx":           svc,
					"/surveys":                   svc,
					"/public/v1/surveys/3q2-7Yx": svc,
					"/surveysx":                  web,
					"/v1/cases":                  web,
					"/v1/cases/42/survey":        web,
					"/public/v1/cases":           web,
					"/openapi.json":              web,
					"/":                          web,
				} {
					if !routed {
						want = web
					}
					if got := ingressRoute(ing, host, path); got != want {
						t.Errorf("%s%s goes to %q, want %q", host, path, got, want)
					}
				}
			}
			if routed {
				u, err := url.Parse(link + "/surveys/3q2-7Yx")
				if err != nil || ingressRoute(ing, u.Host, u.Path) != svc {
					t.Errorf("the survey link %s/surveys/… does not reach the service through the Ingress (%v)", link, err)
				}
			}

			// The ingress controller reaches the service's pods (their HTTP port)
			// only while the Ingress sends survey paths there.
			npo, _ := r.find("NetworkPolicy", svc)
			admitted := false
			for _, rule := range npo.Obj.(*networkingv1.NetworkPolicy).Spec.Ingress {
				if slices.ContainsFunc(rule.From, func(p networkingv1.NetworkPolicyPeer) bool { return reflect.DeepEqual(p, controller) }) &&
					portsAdmit(rule.Ports, 8083, "http") {
					admitted = true
				}
			}
			if admitted != routed {
				t.Errorf("the service's NetworkPolicy admits the ingress controller: %v, want %v", admitted, routed)
			}
		})
	}
}

// TestSurveyEmail: with a survey URL and a relay, the service component gets
// the followup service's SMTP_* exactly (the password from the same Secret, the
// CA bundle mounted the same way) and egress to the relay's port; without a
// survey URL it emails nothing, so it gets none of them.
func TestSurveyEmail(t *testing.T) {
	base := append([]string{"-f", minimal, "--set", "networkPolicy.enabled=true",
		"--set", "notifications.smtp.username=crm", "--set", "notifications.smtp.password=ci-smtp-password-in-a-test",
		"--set", "notifications.smtp.caSecret.name=smtp-ca", "--set", "notifications.smtp.port=2525"}, withSMTP...)
	for _, withURL := range []bool{true, false} {
		t.Run("survey URL "+strconv.FormatBool(withURL), func(t *testing.T) {
			args := slicesClone(base)
			if withURL {
				args = append(args, "--set", "surveys.publicURL=https://feedback.example.com")
			}
			rendered := mustRender(t, args...)
			r := parseRelease(t, rendered)
			checkRelease(t, r, existing{Secrets: []string{"smtp-ca"}}, []string{"ci-smtp-password-in-a-test"}, rendered)
			fo, _ := r.find("Deployment", releaseName+"-followup")
			followup := fo.Obj.(*appsv1.Deployment)
			so, _ := r.find("Deployment", releaseName+"-service")
			service := so.Obj.(*appsv1.Deployment)

			smtp := func(d *appsv1.Deployment) []corev1.EnvVar {
				var out []corev1.EnvVar
				for _, e := range d.Spec.Template.Spec.Containers[0].Env {
					if strings.HasPrefix(e.Name, "SMTP_") {
						out = append(out, e)
					}
				}
				return out
			}
			mounts := func(d *appsv1.Deployment) (vols []corev1.Volume, ms []corev1.VolumeMount) {
				for _, v := range d.Spec.Template.Spec.Volumes {
					if v.Name == "smtp-tls" {
						vols = append(vols, v)
					}
				}
				for _, m := range d.Spec.Template.Spec.Containers[0].VolumeMounts {
					if m.Name == "smtp-tls" {
						ms = append(ms, m)
					}
				}
				return vols, ms
			}
			if len(smtp(followup)) == 0 {
				t.Fatal("the followup service gets no SMTP_*")
			}
			fv, fm := mounts(followup)
			sv, sm := mounts(service)
			npo, _ := r.find("NetworkPolicy", service.Name)
			egress := egressAllowsPort(npo.Obj.(*networkingv1.NetworkPolicy), 2525, corev1.ProtocolTCP)
			if withURL {
				if !reflect.DeepEqual(smtp(service), smtp(followup)) {
					t.Errorf("service SMTP_* %v, want the followup service's %v", smtp(service), smtp(followup))
				}
				if len(sv) != 1 || !reflect.DeepEqual(sv, fv) || !reflect.DeepEqual(sm, fm) {
					t.Errorf("service mounts the relay's CA as %v %v, want as the followup service does: %v %v", sv, sm, fv, fm)
				}
				if !egress {
					t.Error("the service's NetworkPolicy does not let it reach the relay's port 2525")
				}
				return
			}
			if len(smtp(service)) != 0 || len(sv) != 0 || egress {
				t.Errorf("the service has no survey URL, yet gets SMTP_* %v, CA volumes %v or egress to the relay (%v)", smtp(service), sv, egress)
			}
		})
	}
}

// TestServiceDepartments: the service component gets DEPARTMENTS from
// departments.*, in the form its binary parses (department=team,team;…),
// the development stack's teams by default; a values file naming a team
// twice in a list is refused by the schema.
func TestServiceDepartments(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"defaults", nil, "sales=north,south;service=service,service-west;marketing=marketing"},
		{"set", []string{"--set-json", `departments={"sales":["east","west"],"service":["after-sales"],"marketing":["brand","events"]}`},
			"sales=east,west;service=after-sales;marketing=brand,events"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := serviceContainer(t, parseRelease(t, mustRender(t, append([]string{"-f", minimal}, tc.args...)...)))
			if got, _ := envValue(c, "DEPARTMENTS"); got != tc.want {
				t.Errorf("DEPARTMENTS=%q, want %q", got, tc.want)
			}
		})
	}
	if _, err := helmTemplate(t, "-f", minimal, "--set-json", `departments.sales=["north","north"]`); err == nil {
		t.Error("a team named twice in a department was accepted")
	}
}
