package service_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/platform/service"
	"github.com/closeloop/closeloop/platform/temporalx"
)

// roleTokens accepts the tokens "admin", "analyst" and "rep", each for a
// principal with that role.
type roleTokens struct{}

func (roleTokens) Verify(_ context.Context, raw string) (auth.Principal, error) {
	r := auth.Role(raw)
	if !r.Known() {
		return auth.Principal{}, apperr.Unauthenticated("invalid_token", "unknown token")
	}
	return auth.Principal{Subject: "user-" + raw, Roles: []auth.Role{r}}, nil
}

func codecKey(t *testing.T) string {
	t.Helper()
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// workerSpec is shaped like the workflow worker: no database, no /v1 API.
func workerSpec() service.Spec {
	return service.Spec{Name: "worker", NoDatabase: true, NoAPI: true,
		Setup: func(context.Context, *service.Deps) (*service.Module, error) { return &service.Module{}, nil }}
}

func buildCodec(t *testing.T, env map[string]string, o service.Options) (*service.App, error) {
	t.Helper()
	base := map[string]string{"HTTP_ADDR": "127.0.0.1:0", "TEMPORAL_ADDRESS": "127.0.0.1:1", "TEMPORAL_NAMESPACE": "closeloop", "LOG_LEVEL": "error",
		"OIDC_ISSUER_URL": "", "CODEC_SERVER_ENABLED": "true", "CODEC_SERVER_CORS_ORIGINS": "https://temporal.example.com",
		"TEMPORAL_PAYLOAD_KEYS": "", "TEMPORAL_PAYLOAD_KEYS_FILE": ""}
	for k, v := range env {
		base[k] = v
	}
	for k, v := range base {
		t.Setenv(k, v)
	}
	cfg, err := service.LoadConfig(workerSpec())
	if err != nil {
		t.Fatal(err)
	}
	o.Logger = slog.New(slog.DiscardHandler)
	app, err := service.Build(context.Background(), workerSpec(), cfg, o)
	if app != nil {
		t.Cleanup(app.Close)
	}
	return app, err
}

func codecCall(h http.Handler, method, path, token, origin, namespace, body string) (int, http.Header, string) {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	if namespace != "" {
		req.Header.Set("X-Namespace", namespace)
	}
	if method == http.MethodOptions {
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization,content-type,x-namespace")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	b, _ := io.ReadAll(rec.Body)
	return rec.Code, rec.Header(), string(b)
}

// TestCodecServerDecodesOnlyForAdmins: the Temporal UI's codec protocol on
// the worker: decoding needs a token with the admin role, answers the UI's
// preflight without one, keeps other origins and namespaces out, and names
// a key missing from the ring.
func TestCodecServerDecodesOnlyForAdmins(t *testing.T) {
	keys := "k2:" + codecKey(t) + ",k1:" + codecKey(t)
	app, err := buildCodec(t, map[string]string{"TEMPORAL_PAYLOAD_KEYS": keys}, service.Options{Verifier: roleTokens{}})
	if err != nil {
		t.Fatal(err)
	}
	h := app.Handler()
	ring, err := temporalx.ParseKeyRing("test", keys)
	if err != nil {
		t.Fatal(err)
	}
	p, err := ring.DataConverter().ToPayload(map[string]string{"name": "Erika Mustermann"})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := protojson.Marshal(&commonpb.Payloads{Payloads: []*commonpb.Payload{p}})
	body := string(raw)
	const ui, ns = "https://temporal.example.com", "closeloop"

	for _, tc := range []struct {
		name, token string
		want        int
	}{{"no token", "", 401}, {"a forged token", "forged", 401}, {"a rep", "rep", 403}, {"an analyst", "analyst", 403}} {
		code, _, out := codecCall(h, "POST", "/codec/decode", tc.token, "", ns, body)
		if code != tc.want || strings.Contains(out, "Erika") {
			t.Errorf("decode with %s: %d %s, want %d and nothing decoded", tc.name, code, out, tc.want)
		}
	}

	code, hdr, out := codecCall(h, "POST", "/codec/decode", "admin", ui, ns, body)
	if code != 200 || hdr.Get("Access-Control-Allow-Origin") != ui {
		t.Fatalf("decode as admin from the UI: %d %v %s", code, hdr, out)
	}
	var decoded commonpb.Payloads
	if err := protojson.Unmarshal([]byte(out), &decoded); err != nil || len(decoded.Payloads) != 1 {
		t.Fatalf("decode answer %s: %v", out, err)
	}
	var m map[string]string
	if err := converter.GetDefaultDataConverter().FromPayload(decoded.Payloads[0], &m); err != nil || m["name"] != "Erika Mustermann" {
		t.Fatalf("decoded payload: %v %v", err, m)
	}

	// Encode (the UI's signal and start forms) needs the role too, and
	// encrypts with the active key.
	plain, _ := converter.GetDefaultDataConverter().ToPayload("a signal argument")
	raw, _ = protojson.Marshal(&commonpb.Payloads{Payloads: []*commonpb.Payload{plain}})
	if code, _, _ := codecCall(h, "POST", "/codec/encode", "rep", "", ns, string(raw)); code != 403 {
		t.Fatalf("encode as a rep: %d", code)
	}
	code, _, out = codecCall(h, "POST", "/codec/encode", "admin", "", "", string(raw))
	var encoded commonpb.Payloads
	if code != 200 || protojson.Unmarshal([]byte(out), &encoded) != nil || len(encoded.Payloads) != 1 ||
		string(encoded.Payloads[0].Metadata[temporalx.MetadataKeyID]) != "k2" || strings.Contains(out, base64.StdEncoding.EncodeToString([]byte(`"a signal argument"`))) {
		t.Fatalf("encode as admin: %d %s", code, out)
	}

	// The UI's preflight: no token, the allowed origin and headers.
	code, hdr, _ = codecCall(h, "OPTIONS", "/codec/decode", "", ui, "", "")
	if code != 204 || hdr.Get("Access-Control-Allow-Origin") != ui || !strings.Contains(hdr.Get("Access-Control-Allow-Headers"), "Authorization") ||
		!strings.Contains(hdr.Get("Access-Control-Allow-Headers"), "X-Namespace") || hdr.Get("Access-Control-Allow-Methods") != "POST" {
		t.Fatalf("preflight from the UI: %d %v", code, hdr)
	}
	// Another origin: neither its preflight nor its request gets through.
	code, hdr, _ = codecCall(h, "OPTIONS", "/codec/decode", "", "https://evil.example.net", "", "")
	if code != 403 || hdr.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("preflight from another origin: %d %v", code, hdr)
	}
	if code, _, out := codecCall(h, "POST", "/codec/decode", "admin", "https://evil.example.net", ns, body); code != 403 || strings.Contains(out, "Erika") {
		t.Fatalf("decode from another origin: %d %s", code, out)
	}
	// Another namespace's payloads are not this server's to decode.
	if code, _, out := codecCall(h, "POST", "/codec/decode", "admin", "", "default", body); code != 400 || !strings.Contains(out, "wrong_namespace") {
		t.Fatalf("decode for another namespace: %d %s", code, out)
	}
	// A key retired too early: a 400 naming it.
	old, err := temporalx.ParseKeyRing("test", "k0:"+codecKey(t))
	if err != nil {
		t.Fatal(err)
	}
	p0, _ := old.DataConverter().ToPayload("x")
	raw, _ = protojson.Marshal(&commonpb.Payloads{Payloads: []*commonpb.Payload{p0}})
	if code, _, out := codecCall(h, "POST", "/codec/decode", "admin", "", ns, string(raw)); code != 400 || !strings.Contains(out, `key id "k0"`) {
		t.Fatalf("decode with an unknown key: %d %s", code, out)
	}
	if code, _, _ := codecCall(h, "POST", "/codec/decode", "admin", "", ns, "{not json"); code != 400 {
		t.Fatalf("decode of a bad body: %d", code)
	}
	if code, _, _ := codecCall(h, "GET", "/codec/decode", "admin", "", ns, ""); code != 405 {
		t.Fatalf("GET /codec/decode: %d", code)
	}
}

func TestCodecServerConfigurationIsCheckedAtStart(t *testing.T) {
	key := "k1:" + codecKey(t)
	for _, tc := range []struct {
		name string
		env  map[string]string
		o    service.Options
		want string
	}{
		{"without keys", map[string]string{}, service.Options{Verifier: roleTokens{}}, "CODEC_SERVER_ENABLED=true needs the payload key ring"},
		{"with bad keys", map[string]string{"TEMPORAL_PAYLOAD_KEYS": "k1:c2hvcnQ="}, service.Options{Verifier: roleTokens{}}, `key "k1" is 5 bytes`},
		{"without an issuer", map[string]string{"TEMPORAL_PAYLOAD_KEYS": key}, service.Options{}, "CODEC_SERVER_ENABLED=true needs OIDC_ISSUER_URL"},
		{"with a wildcard origin", map[string]string{"TEMPORAL_PAYLOAD_KEYS": key, "CODEC_SERVER_CORS_ORIGINS": "*"}, service.Options{Verifier: roleTokens{}}, `"*" is not an origin`},
		{"with a URL for an origin", map[string]string{"TEMPORAL_PAYLOAD_KEYS": key, "CODEC_SERVER_CORS_ORIGINS": "https://t.example.com/namespaces"}, service.Options{Verifier: roleTokens{}}, "is not an origin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := buildCodec(t, tc.env, tc.o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
	// Every binary's Temporal client reads the key ring: bad keys stop it
	// at start, codec server or not.
	_, err := buildCodec(t, map[string]string{"CODEC_SERVER_ENABLED": "false", "TEMPORAL_PAYLOAD_KEYS": "k1:c2hvcnQ="}, service.Options{})
	if err == nil || !strings.Contains(err.Error(), `TEMPORAL_PAYLOAD_KEYS: key "k1" is 5 bytes, want 32`) {
		t.Fatalf("a service with bad payload keys: %v", err)
	}
	// Off (the default): no /codec routes, and no issuer needed by the worker.
	app, err := buildCodec(t, map[string]string{"CODEC_SERVER_ENABLED": "false", "TEMPORAL_PAYLOAD_KEYS": key}, service.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if code, _, _ := codecCall(app.Handler(), "POST", "/codec/decode", "admin", "", "", "{}"); code != 404 {
		t.Fatalf("/codec/decode with the codec server off: %d", code)
	}
}
