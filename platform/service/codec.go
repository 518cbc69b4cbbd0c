package service

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/converter"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/platform/httpx"
	"github.com/closeloop/closeloop/platform/temporalx"
)

// CodecServerConfig configures the Temporal codec server: the HTTP endpoints
// through which the Temporal UI and CLI have encrypted payloads decoded
// (docs/operations.md, "Payload encryption"). The chart turns it on in the
// worker.
type CodecServerConfig struct {
	Enabled     bool     `env:"CODEC_SERVER_ENABLED" default:"false" help:"serve the Temporal codec server (POST /codec/encode and /codec/decode) on HTTP_ADDR for the Temporal UI and CLI; needs the payload key ring (TEMPORAL_PAYLOAD_KEYS) and OIDC_ISSUER_URL; only tokens with the admin role may call it"`
	CORSOrigins []string `env:"CODEC_SERVER_CORS_ORIGINS" help:"origins (scheme://host[:port], comma separated) whose pages may call the codec server: the Temporal UI's; empty: no browser may"`
}

// CodecRole is the role a bearer token must carry to use the codec server:
// decoding shows customers' personal data from every workflow history.
const CodecRole = auth.RoleAdmin

// codecMaxBody bounds a codec request: a page of history payloads, each at
// most Temporal's 2 MB blob limit in practice.
const codecMaxBody = 8 << 20

// checkCodecServer validates the codec server's configuration before
// anything starts; haveVerifier is whether the caller supplied a verifier.
func checkCodecServer(cfg Config, haveVerifier bool) error {
	if !cfg.Codec.Enabled {
		return nil
	}
	ring, err := temporalx.LoadKeyRing(cfg.Temporal)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	if ring == nil {
		return errors.New("configuration: CODEC_SERVER_ENABLED=true needs the payload key ring (TEMPORAL_PAYLOAD_KEYS or TEMPORAL_PAYLOAD_KEYS_FILE): without keys there is nothing to decode")
	}
	if !haveVerifier && cfg.OIDCIssuerURL == "" {
		return errors.New("configuration: CODEC_SERVER_ENABLED=true needs OIDC_ISSUER_URL: the codec server decodes personal data only for bearer tokens with the " + string(CodecRole) + " role")
	}
	for _, o := range cfg.Codec.CORSOrigins {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
			return fmt.Errorf("configuration: CODEC_SERVER_CORS_ORIGINS: %q is not an origin (scheme://host[:port], e.g. https://temporal.example.com)", o)
		}
	}
	return nil
}

// mountCodec serves the codec server's protocol under /codec on e: POST
// /codec/encode and /codec/decode take and return {"payloads": [...]}
// (converter.NewPayloadCodecHTTPHandler over the key ring's codec). Callers
// need a bearer token with CodecRole; an X-Namespace header, which the
// Temporal UI and CLI send, must name the configured namespace. Browsers may
// call it from CODEC_SERVER_CORS_ORIGINS only (preflight answered without a
// token). Every call is logged with the caller's subject.
func mountCodec(e *gin.Engine, cfg Config, v auth.Verifier, log *slog.Logger) error {
	if err := checkCodecServer(cfg, v != nil); err != nil {
		return err
	}
	ring, err := temporalx.LoadKeyRing(cfg.Temporal)
	if err != nil {
		return err
	}
	codec := gin.WrapH(converter.NewPayloadCodecHTTPHandler(ring.Codec()))
	namespace := cfg.Temporal.Namespace
	g := e.Group("/codec", codecCORS(cfg.Codec.CORSOrigins), auth.Middleware(v, httpx.WriteError), func(c *gin.Context) {
		p := auth.MustFromContext(c.Request.Context())
		if !p.Has(CodecRole) {
			httpx.WriteError(c, apperr.Forbidden("forbidden", "the codec server shows personal data from workflow histories: only the "+string(CodecRole)+" role may use it"))
			return
		}
		if ns := c.GetHeader("X-Namespace"); ns != "" && ns != namespace {
			httpx.WriteError(c, apperr.Invalid("wrong_namespace", fmt.Sprintf("this codec server holds the keys of namespace %q, not %q", namespace, ns)))
			return
		}
		log.InfoContext(c.Request.Context(), "codec server call", "route", c.FullPath(), "subject", p.Subject, "namespace", namespace)
		c.Next()
	})
	for _, path := range []string{"/encode", "/decode"} {
		g.POST(path, codec)
		g.OPTIONS(path, func(*gin.Context) {}) // answered by codecCORS
		httpx.AllowBody(http.MethodPost, "/codec"+path, codecMaxBody)
	}
	log.Info("codec server on /codec", "active_key", ring.ActiveKeyID(), "keys", len(ring.KeyIDs()), "cors_origins", strings.Join(cfg.Codec.CORSOrigins, ","), "role", string(CodecRole))
	return nil
}

// codecCORS lets the pages of origins (the Temporal UI) call the codec
// server: it answers their preflight requests itself, before the token check
// (browsers send none with them), and refuses requests from other origins.
// Requests without an Origin header (the CLI, curl) are not affected.
func codecCORS(origins []string) gin.HandlerFunc {
	allowed := func(o string) bool {
		return slices.ContainsFunc(origins, func(a string) bool { return strings.EqualFold(strings.TrimSuffix(a, "/"), o) })
	}
	return func(c *gin.Context) {
		origin := c.GetHeader("Origin")
		c.Header("Vary", "Origin")
		if origin == "" {
			if c.Request.Method == http.MethodOptions {
				c.AbortWithStatus(http.StatusNoContent)
				return
			}
			c.Next()
			return
		}
		if !allowed(origin) {
			httpx.WriteError(c, apperr.Forbidden("origin_not_allowed", "origin "+origin+" may not call the codec server (CODEC_SERVER_CORS_ORIGINS)"))
			return
		}
		c.Header("Access-Control-Allow-Origin", origin)
		c.Header("Access-Control-Allow-Credentials", "true")
		if c.Request.Method == http.MethodOptions {
			c.Header("Access-Control-Allow-Methods", "POST")
			c.Header("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Namespace")
			c.Header("Access-Control-Max-Age", "600")
			c.AbortWithStatus(http.StatusNoContent)
			return
		}
		c.Next()
	}
}
