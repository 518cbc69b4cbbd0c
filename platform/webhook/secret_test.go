package webhook_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/webhook"
)

func TestParseSecret(t *testing.T) {
	tests := []struct {
		name, in, code string // code "" means accepted
	}{
		{"spec vector, 24 bytes", vectorSecret, ""},
		{"without prefix", strings.TrimPrefix(vectorSecret, "whsec_"), ""},
		{"surrounding white space", "  " + vectorSecret + "\n", ""},
		{"64 bytes", secretOf(64, 9), ""},
		{"23 bytes", secretOf(23, 9), webhook.CodeSecretTooShort},
		{"1 byte", secretOf(1, 9), webhook.CodeSecretTooShort},
		{"65 bytes", secretOf(65, 9), webhook.CodeSecretTooLong},
		{"empty", "", webhook.CodeInvalidSecret},
		{"prefix only", "whsec_", webhook.CodeInvalidSecret},
		{"not base64", "whsec_not*base64*at*all*not*base64*at", webhook.CodeInvalidSecret},
		{"url-safe alphabet", "whsec_" + base64.URLEncoding.EncodeToString(bytes.Repeat([]byte{0xfb}, 24)), webhook.CodeInvalidSecret},
		{"missing padding", strings.TrimRight(secretOf(32, 9), "="), webhook.CodeInvalidSecret},
		{"asymmetric key", "whsk_" + strings.TrimPrefix(secretOf(32, 9), "whsec_"), webhook.CodeInvalidSecret},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := webhook.ParseSecret(tc.in)
			if tc.code == "" {
				if err != nil || s.IsZero() {
					t.Fatalf("ParseSecret = %v, %v; want a secret", s, err)
				}
				return
			}
			if !s.IsZero() {
				t.Errorf("ParseSecret returned a key along with an error")
			}
			e := apperr.From(err)
			if e.Kind != apperr.KindRule || len(e.Fields) != 1 {
				t.Fatalf("ParseSecret = %v, want one 422 field error", err)
			}
			if f := e.Fields[0]; f.Field != "secret" || f.Code != tc.code || f.Message == "" {
				t.Errorf("field error = %+v, want field secret, code %s, a message", f, tc.code)
			}
		})
	}
}

func TestNewSecret(t *testing.T) {
	a, b := webhook.NewSecret(), webhook.NewSecret()
	if a.Equal(b) {
		t.Fatal("two new secrets are equal")
	}
	revealed := a.Reveal()
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(revealed, "whsec_"))
	if !strings.HasPrefix(revealed, "whsec_") || err != nil || len(key) != 32 {
		t.Fatalf("Reveal = %q: want whsec_ and 32 bytes of base64 key", revealed)
	}
	back, err := webhook.ParseSecret(revealed)
	if err != nil || !back.Equal(a) {
		t.Fatalf("ParseSecret(Reveal()) = %v, %v; want the same secret", back, err)
	}
}

func TestSecretDoesNotLeakIntoLogs(t *testing.T) {
	s := mustSecret(t, vectorSecret)
	key := strings.TrimPrefix(vectorSecret, "whsec_")
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("delivering", "secret", s)
	for name, out := range map[string]string{
		"%v":   fmt.Sprintf("%v", s),
		"%+v":  fmt.Sprintf("%+v", s),
		"%#v":  fmt.Sprintf("%#v", s),
		"%s":   fmt.Sprintf("%s", s),
		"slog": buf.String(),
		"in a struct": fmt.Sprintf("%+v", struct {
			URL    string
			Secret webhook.Secret
		}{"https://example.com", s}),
	} {
		if strings.Contains(out, key) || !strings.Contains(out, "redacted") {
			t.Errorf("%s prints %q; want the key redacted", name, out)
		}
	}
}
