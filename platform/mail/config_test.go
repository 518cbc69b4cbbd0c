package mail

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/config"
)

func validConfig() Config {
	return Config{Host: "smtp.example.com", TLS: TLSStartTLS, From: "Closeloop <noreply@example.com>", Timeout: 30 * time.Second}
}

func TestConfigIsReadFromTheEnvironmentWithItsDefaults(t *testing.T) {
	env := map[string]string{
		"SMTP_HOST":     "smtp.example.com",
		"SMTP_FROM":     "Closeloop 提醒 <noreply@example.com>",
		"SMTP_USERNAME": "crm",
		"SMTP_PASSWORD": "s3cret",
	}
	var cfg Config
	if err := config.LoadFrom(&cfg, func(k string) (string, bool) { v, ok := env[k]; return v, ok }); err != nil {
		t.Fatal(err)
	}
	if cfg.TLS != TLSStartTLS || cfg.Port != 0 || cfg.port() != 587 || cfg.Timeout != 30*time.Second || cfg.HELO != "" {
		t.Fatalf("defaults: %#v", cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, v := range config.Describe(&cfg) {
		names = append(names, v.Name)
		if v.Help == "" {
			t.Errorf("%s has no help", v.Name)
		}
	}
	want := "SMTP_HOST SMTP_PORT SMTP_TLS SMTP_TLS_CA_FILE SMTP_USERNAME SMTP_PASSWORD SMTP_FROM SMTP_TIMEOUT SMTP_HELO"
	if got := strings.Join(names, " "); got != want {
		t.Fatalf("variables %s, want %s", got, want)
	}

	env["SMTP_PORT"] = "smtp"
	err := config.LoadFrom(&cfg, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err == nil || !strings.Contains(err.Error(), "SMTP_PORT") {
		t.Fatalf("a port that is not a number: %v", err)
	}
}

func TestConfigDefaultPortFollowsTheTLSMode(t *testing.T) {
	for mode, port := range map[string]int{TLSStartTLS: 587, TLSImplicit: 465, TLSNone: 25} {
		c := validConfig()
		c.TLS = mode
		if c.port() != port {
			t.Errorf("%s: port %d, want %d", mode, c.port(), port)
		}
		c.Port = 2525
		if c.port() != 2525 {
			t.Errorf("%s: SMTP_PORT=2525 gives %d", mode, c.port())
		}
	}
}

func TestConfigValidateNamesTheVariableAtFault(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Config)
		want   string // in the error; empty: valid
	}{
		{"valid starttls", func(*Config) {}, ""},
		{"valid tls with auth", func(c *Config) { c.TLS, c.Username, c.Password = TLSImplicit, "crm", "pw" }, ""},
		{"none without credentials to a relay", func(c *Config) { c.TLS = TLSNone }, ""},
		{"none with credentials on 127.0.0.1", func(c *Config) { c.Host, c.TLS, c.Username, c.Password = "127.0.0.1", TLSNone, "u", "p" }, ""},
		{"none with credentials on localhost", func(c *Config) { c.Host, c.TLS, c.Username, c.Password = "localhost", TLSNone, "u", "p" }, ""},
		{"none with credentials on ::1", func(c *Config) { c.Host, c.TLS, c.Username, c.Password = "::1", TLSNone, "u", "p" }, ""},
		{"no host", func(c *Config) { c.Host = " " }, "SMTP_HOST is empty"},
		{"host with port", func(c *Config) { c.Host = "smtp.example.com:587" }, "SMTP_HOST"},
		{"host as URL", func(c *Config) { c.Host = "smtp://smtp.example.com" }, "SMTP_HOST"},
		{"port too big", func(c *Config) { c.Port = 70000 }, "SMTP_PORT=70000"},
		{"negative port", func(c *Config) { c.Port = -1 }, "SMTP_PORT=-1"},
		{"unknown TLS mode", func(c *Config) { c.TLS = "ssl" }, `SMTP_TLS="ssl"`},
		{"empty TLS mode", func(c *Config) { c.TLS = "" }, `SMTP_TLS=""`},
		{"credentials in clear to a remote host", func(c *Config) { c.TLS, c.Username, c.Password = TLSNone, "u", "p" }, "SMTP_TLS=none with SMTP_USERNAME/SMTP_PASSWORD"},
		{"username without password", func(c *Config) { c.Username = "u" }, "SMTP_USERNAME and SMTP_PASSWORD go together"},
		{"password without username", func(c *Config) { c.Password = "p" }, "SMTP_USERNAME and SMTP_PASSWORD go together"},
		{"CA file without TLS", func(c *Config) { c.TLS, c.CAFile = TLSNone, "/ca.pem" }, "SMTP_TLS_CA_FILE"},
		{"no From", func(c *Config) { c.From = "" }, "SMTP_FROM is empty"},
		{"From not an address", func(c *Config) { c.From = "Closeloop" }, `SMTP_FROM="Closeloop"`},
		{"two From addresses", func(c *Config) { c.From = "a@example.com, b@example.com" }, "SMTP_FROM"},
		{"no timeout", func(c *Config) { c.Timeout = 0 }, "SMTP_TIMEOUT"},
		{"HELO with a space", func(c *Config) { c.HELO = "crm host" }, "SMTP_HELO"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig()
			tt.change(&c)
			err := c.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("valid config refused: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("error %v, want one that says %q", err, tt.want)
			}
			if _, newErr := New(c); (newErr == nil) != (err == nil) {
				t.Fatalf("New and Validate disagree: %v / %v", newErr, err)
			}
		})
	}
}

func TestConfigValidateReportsEveryProblemAtOnce(t *testing.T) {
	err := Config{TLS: "ssl", Port: 99999}.Validate()
	for _, v := range []string{"SMTP_HOST", "SMTP_PORT", "SMTP_TLS", "SMTP_FROM", "SMTP_TIMEOUT"} {
		if err == nil || !strings.Contains(err.Error(), v) {
			t.Errorf("error does not name %s: %v", v, err)
		}
	}
}

func TestConfigCAFileMustHoldACertificate(t *testing.T) {
	c := validConfig()
	c.CAFile = filepath.Join(t.TempDir(), "missing.pem")
	if _, err := New(c); err == nil || !strings.Contains(err.Error(), "SMTP_TLS_CA_FILE") {
		t.Fatalf("missing CA file: %v", err)
	}
	if err := os.WriteFile(c.CAFile, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := New(c); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Fatalf("CA file without a certificate: %v", err)
	}
}

func TestConfigNeverShowsThePassword(t *testing.T) {
	c := validConfig()
	c.Username, c.Password = "crm", "hunter2-very-secret"
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("smtp", "config", c)
	for _, out := range []string{c.String(), fmt.Sprintf("%v %+v %#v %s", c, c, c, c), logged.String()} {
		if strings.Contains(out, c.Password) {
			t.Fatalf("password shown: %s", out)
		}
		if !strings.Contains(out, "crm") || !strings.Contains(out, "smtp.example.com:587") {
			t.Fatalf("description lacks user or address: %s", out)
		}
	}
}
