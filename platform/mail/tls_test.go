package mail

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func splitHostPort(t *testing.T, addr string) (string, int) {
	t.Helper()
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	return host, port
}

// testCA writes a CA certificate and a server certificate for 127.0.0.1
// (the IP address only: not localhost) signed by it (PEM files in a temp dir) and returns their
// paths.
func testCA(t *testing.T) (caFile, certFile, keyFile string) {
	t.Helper()
	dir := t.TempDir()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	ca := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "closeloop test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	return write("ca.pem", "CERTIFICATE", caDER), write("cert.pem", "CERTIFICATE", leafDER), write("key.pem", "EC PRIVATE KEY", keyDER)
}

func TestSendOverSTARTTLSAndImplicitTLSWithAuth(t *testing.T) {
	caFile, certFile, keyFile := testCA(t)
	for _, tt := range []struct{ mode, flag string }{
		{TLSStartTLS, "--smtp-require-starttls"},
		{TLSImplicit, "--smtp-require-tls"},
	} {
		t.Run(tt.mode, func(t *testing.T) {
			// Without --smtp-auth-allow-insecure: Mailpit offers AUTH only
			// over TLS.
			cfg, api := mailpit(t, "--smtp-tls-cert", certFile, "--smtp-tls-key", keyFile, tt.flag, "--smtp-auth-accept-any")
			cfg.TLS, cfg.CAFile = tt.mode, caFile
			cfg.Username, cfg.Password = "crm", "pw"
			if err := newSender(t, cfg).Send(ctxT(t), sample()); err != nil {
				t.Fatal(err)
			}
			list, m := caught(t, api)
			if len(list) != 1 || list[0].Username != "crm" || m.Subject != sample().Subject {
				t.Fatalf("caught %+v", list)
			}
		})
	}
}

func TestTLSTroubleIsTemporary(t *testing.T) {
	caFile, certFile, keyFile := testCA(t)
	tlsFlags := []string{"--smtp-tls-cert", certFile, "--smtp-tls-key", keyFile}
	plainCfg, _ := mailpit(t)
	starttlsCfg, _ := mailpit(t, append(tlsFlags, "--smtp-require-starttls")...)
	implicitCfg, _ := mailpit(t, append(tlsFlags, "--smtp-require-tls")...)

	tests := []struct {
		name   string
		cfg    Config
		change func(*Config)
		code   int
		want   string
	}{
		{"starttls to a server without STARTTLS", plainCfg, func(c *Config) { c.TLS = TLSStartTLS }, 0, "does not support STARTTLS"},
		{"none to a server that requires STARTTLS", starttlsCfg, func(*Config) {}, 530, "Must issue a STARTTLS command first"},
		{"tls to a server speaking clear text", plainCfg, func(c *Config) { c.TLS = TLSImplicit }, 0, "TLS handshake"},
		{"starttls with an unknown CA", starttlsCfg, func(c *Config) { c.TLS = TLSStartTLS }, 0, "certificate signed by unknown authority"},
		{"tls with an unknown CA", implicitCfg, func(c *Config) { c.TLS = TLSImplicit }, 0, "certificate signed by unknown authority"},
		{"tls with a name the certificate lacks", implicitCfg, func(c *Config) { c.TLS, c.CAFile, c.Host = TLSImplicit, caFile, "localhost" }, 0, "wanted to match localhost"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			tt.change(&cfg)
			e := checkClass(t, newSender(t, cfg).Send(ctxT(t), sample()), false, tt.code)
			if !strings.Contains(e.Error(), tt.want) {
				t.Fatalf("error %q does not say %q", e, tt.want)
			}
		})
	}
}
