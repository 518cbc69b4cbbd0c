package charttest

import (
	"bytes"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// chartDir is the chart under test, relative to this package.
const chartDir = "../closeloop"

// releaseName and namespace are what every render uses.
const (
	releaseName = "closeloop"
	namespace   = "crm"
)

// helmBin is the helm built by `make chart-tools` (HELM overrides it).
func helmBin(t *testing.T) string {
	t.Helper()
	if h := os.Getenv("HELM"); h != "" {
		return h
	}
	h, err := filepath.Abs("../../bin/helm")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(h); err != nil {
		t.Fatalf("helm not found at %s: run `make chart-tools` (or set HELM)", h)
	}
	return h
}

// helmTemplate renders the chart with the given extra arguments (values files,
// --set flags) and returns stdout, or the error output when helm refuses.
func helmTemplate(t *testing.T, args ...string) (string, error) {
	t.Helper()
	full := append([]string{"template", releaseName, chartDir, "--namespace", namespace}, args...)
	cmd := exec.Command(helmBin(t), full...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stderr.String(), &helmError{msg: stderr.String(), err: err}
	}
	return stdout.String(), nil
}

type helmError struct {
	msg string
	err error
}

func (e *helmError) Error() string { return e.err.Error() + ": " + e.msg }

// mustRender renders and fails the test when helm refuses.
func mustRender(t *testing.T, args ...string) string {
	t.Helper()
	out, err := helmTemplate(t, args...)
	if err != nil {
		t.Fatalf("helm template %v: %v", args, err)
	}
	return out
}

var docSeparator = regexp.MustCompile(`(?m)^---\s*$`)

// splitDocuments splits a multi-document YAML stream, dropping empty documents.
func splitDocuments(s string) [][]byte {
	var out [][]byte
	for _, d := range docSeparator.Split(s, -1) {
		if strings.TrimSpace(stripComments(d)) == "" {
			continue
		}
		out = append(out, []byte(d))
	}
	return out
}

func stripComments(d string) string {
	var b strings.Builder
	for _, line := range strings.Split(d, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.String()
}

// ciValuesFiles lists the chart's ci/*.yaml files.
func ciValuesFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(chartDir, "ci", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no ci values files (%v)", err)
	}
	return files
}

// loadYAML reads a YAML file into a generic map.
func loadYAML(t *testing.T, path string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

// lookup follows a dotted path through nested maps.
func lookup(m map[string]any, path string) (any, bool) {
	var cur any = m
	for _, k := range strings.Split(path, ".") {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		cur, ok = mm[k]
		if !ok {
			return nil, false
		}
	}
	return cur, true
}

// secretLiterals are the secret values a values file gives the chart to put into
// its own Secret: database URLs, the Temporal API key, the web console's
// session key and client secret, and the SMTP password.
func secretLiterals(values map[string]any) []string {
	var out []string
	if urls, ok := lookup(values, "database.urls"); ok {
		for _, v := range urls.(map[string]any) {
			if s, _ := v.(string); s != "" {
				out = append(out, s)
			}
		}
	}
	for _, path := range []string{"temporal.apiKey.value", "temporal.payloadEncryption.keys", "web.sessionKey", "web.oidc.clientSecret", "notifications.smtp.password", "emailTouches.key"} {
		if v, ok := lookup(values, path); ok {
			if s, _ := v.(string); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
