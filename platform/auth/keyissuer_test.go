package auth_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/closeloop/closeloop/platform/apperr"
)

// keyIssuer is an OIDC issuer for the token-rule and key-set tests: it serves
// a discovery document and a JWKS whose keys the test adds and removes,
// counts the JWKS requests, and signs whatever header and claims a test wants.
type keyIssuer struct {
	t       *testing.T
	url     string
	fetches atomic.Int64

	mu      sync.Mutex
	keys    map[string]*ecdsa.PrivateKey // kid → key
	public  []string                     // kids published in the JWKS, in order
	jwksURL string                       // jwks_uri of the discovery document (default: on this server)
	status  int                          // JWKS answer status (200 when zero)
	gate    chan struct{}                // when set, JWKS requests wait for it to close
}

func newKeyIssuer(t *testing.T) *keyIssuer {
	t.Helper()
	ki := &keyIssuer{t: t, keys: map[string]*ecdsa.PrivateKey{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		ki.mu.Lock()
		jwks := ki.jwksURL
		ki.mu.Unlock()
		if jwks == "" {
			jwks = ki.url + "/jwks"
		}
		writeJSON(w, map[string]any{"issuer": ki.url, "jwks_uri": jwks,
			"id_token_signing_alg_values_supported": []string{"ES256"}})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, _ *http.Request) {
		ki.fetches.Add(1)
		ki.mu.Lock()
		gate, status := ki.gate, ki.status
		set := jose.JSONWebKeySet{}
		for _, kid := range ki.public {
			set.Keys = append(set.Keys, jose.JSONWebKey{Key: &ki.keys[kid].PublicKey, KeyID: kid, Algorithm: "ES256", Use: "sig"})
		}
		ki.mu.Unlock()
		if gate != nil {
			<-gate
		}
		if status != 0 && status != http.StatusOK {
			http.Error(w, "down", status)
			return
		}
		writeJSON(w, set)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	ki.url = srv.URL
	return ki
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// addKey creates a key; published puts it into the JWKS.
func (ki *keyIssuer) addKey(kid string, published bool) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		ki.t.Fatal(err)
	}
	ki.mu.Lock()
	defer ki.mu.Unlock()
	ki.keys[kid] = key
	if published {
		ki.public = append(ki.public, kid)
	}
}

// publish makes the JWKS hold exactly kids.
func (ki *keyIssuer) publish(kids ...string) {
	ki.mu.Lock()
	defer ki.mu.Unlock()
	ki.public = kids
}

func (ki *keyIssuer) set(f func(ki *keyIssuer)) {
	ki.mu.Lock()
	defer ki.mu.Unlock()
	f(ki)
}

// sign signs claims with the key kid (a fresh unpublished key when kid is
// unknown), writing kid into the header unless noKID, and typ when not empty.
func (ki *keyIssuer) sign(kid, typ string, noKID bool, claims map[string]any) string {
	ki.mu.Lock()
	key := ki.keys[kid]
	ki.mu.Unlock()
	if key == nil {
		var err error
		if key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			ki.t.Fatal(err)
		}
	}
	opts := &jose.SignerOptions{}
	if typ != "" {
		opts = opts.WithType(jose.ContentType(typ))
	}
	var sk any = jose.JSONWebKey{Key: key, KeyID: kid, Algorithm: "ES256"}
	if noKID {
		sk = key
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: sk}, opts)
	if err != nil {
		ki.t.Fatal(err)
	}
	raw, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		ki.t.Fatal(err)
	}
	return raw
}

// forge signs claims with a fresh key, naming kid in the header.
func (ki *keyIssuer) forge(kid string, claims map[string]any) string {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		ki.t.Fatal(err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: key, KeyID: kid, Algorithm: "ES256"}}, nil)
	if err != nil {
		ki.t.Fatal(err)
	}
	raw, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		ki.t.Fatal(err)
	}
	return raw
}

// claims are a valid access token's claims at now, with edits applied (a nil
// value deletes the claim).
func (ki *keyIssuer) claims(now time.Time, edits map[string]any) map[string]any {
	c := map[string]any{
		"iss": ki.url, "sub": "rep-ana", "aud": audience, "roles": []string{"rep"},
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}
	for k, v := range edits {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

// reasonOf returns the Meta reason of a verifier error, or a description of
// what else err is.
func reasonOf(err error) string {
	if err == nil {
		return "accepted"
	}
	e, ok := errors.AsType[*apperr.Error](err)
	if !ok {
		return fmt.Sprintf("not an apperr: %v", err)
	}
	if e.Kind != apperr.KindUnauthenticated || e.Code != "unauthenticated" {
		return fmt.Sprintf("kind %v code %s", e.Kind, e.Code)
	}
	r, _ := e.Meta["reason"].(string)
	return r
}
