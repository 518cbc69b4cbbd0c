package apiserver

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// cluster is a Kubernetes control plane of one etcd and one kube-apiserver, both
// on free 127.0.0.1 ports, with a token for a cluster admin (group system:masters).
// Nothing else runs: no controller manager (no Deployment ever gets a ReplicaSet,
// no namespace its default ServiceAccount), no scheduler, no kubelet.
type cluster struct {
	url        string
	token      string
	kubeconfig string
	dir        string
	client     *http.Client

	mu        sync.Mutex
	resources map[string]apiResource // "group/version/Kind" → resource
}

type apiResource struct {
	Name       string `json:"name"`
	Kind       string `json:"kind"`
	Namespaced bool   `json:"namespaced"`
}

// binaries finds kube-apiserver (KUBE_APISERVER, else bin/kube-apiserver) and etcd
// (ETCD, else etcd on PATH). Without KUBE_APISERVER and bin/kube-apiserver the
// test is skipped (`make chart-test` builds it and always sets KUBE_APISERVER);
// a missing etcd then fails it.
func binaries(t *testing.T) (apiserver, etcd string) {
	t.Helper()
	apiserver = os.Getenv("KUBE_APISERVER")
	if apiserver == "" {
		p, err := filepath.Abs("../../../bin/kube-apiserver")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(p); err != nil {
			t.Skip("no kube-apiserver: `make chart-test` builds bin/kube-apiserver (or set KUBE_APISERVER)")
		}
		apiserver = p
	}
	if _, err := os.Stat(apiserver); err != nil {
		t.Fatalf("kube-apiserver: %v (run `make kube-apiserver`)", err)
	}
	etcd = os.Getenv("ETCD")
	if etcd == "" {
		p, err := exec.LookPath("etcd")
		if err != nil {
			t.Fatal("etcd is not on PATH: run `make etcd` (Debian's etcd-server) or set ETCD")
		}
		etcd = p
	}
	return apiserver, etcd
}

// startCluster starts etcd and kube-apiserver in a temporary directory and
// stops them when the test ends. kube-apiserver runs with RBAC and Node
// authorization, token authentication only, and PodSecurity among its
// admission plugins (with the default ones: NamespaceLifecycle, LimitRanger,
// ServiceAccount, ResourceQuota, the admission webhooks and policies, …).
func startCluster(t *testing.T) *cluster {
	t.Helper()
	apiserverBin, etcdBin := binaries(t)
	dir := t.TempDir()
	c := &cluster{dir: dir, resources: map[string]apiResource{}}

	etcdClient, etcdPeer := freePort(t), freePort(t)
	etcdURL := fmt.Sprintf("http://127.0.0.1:%d", etcdClient)
	peerURL := fmt.Sprintf("http://127.0.0.1:%d", etcdPeer)
	etcd := startProcess(t, filepath.Join(dir, "etcd.log"), etcdBin,
		"--name=chart-test", "--data-dir="+filepath.Join(dir, "etcd"),
		"--listen-client-urls="+etcdURL, "--advertise-client-urls="+etcdURL,
		"--listen-peer-urls="+peerURL, "--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=chart-test="+peerURL, "--logger=zap", "--log-level=warn")
	waitFor(t, etcd, time.Minute, "etcd", func() bool {
		resp, err := http.Get(etcdURL + "/health")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode == http.StatusOK && strings.Contains(string(b), `"true"`)
	})

	certPEM, keyPEM := selfSignedServingCert(t)
	saKey, saPub := serviceAccountKeys(t)
	c.token = randomHex(t, 32)
	files := map[string][]byte{
		"serving.crt": certPEM, "serving.key": keyPEM, "sa.key": saKey, "sa.pub": saPub,
		"tokens.csv": []byte(c.token + `,chart-test-admin,chart-test-admin,"system:masters"` + "\n"),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	port := freePort(t)
	c.url = fmt.Sprintf("https://127.0.0.1:%d", port)
	apiserver := startProcess(t, filepath.Join(dir, "kube-apiserver.log"), apiserverBin,
		"--etcd-servers="+etcdURL,
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", fmt.Sprintf("--secure-port=%d", port),
		"--tls-cert-file="+filepath.Join(dir, "serving.crt"), "--tls-private-key-file="+filepath.Join(dir, "serving.key"),
		"--cert-dir="+filepath.Join(dir, "certs"),
		"--anonymous-auth=false", "--token-auth-file="+filepath.Join(dir, "tokens.csv"),
		"--authorization-mode=Node,RBAC",
		"--enable-admission-plugins=NodeRestriction,PodSecurity",
		"--allow-privileged=true", // as kubeadm sets it: PodSecurity, not this flag, is what must refuse
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file="+filepath.Join(dir, "sa.pub"),
		"--service-account-signing-key-file="+filepath.Join(dir, "sa.key"),
		// Only the range Service cluster IPs are allocated from: no traffic goes there.
		"--service-cluster-ip-range=10.96.0.0/16",
		"--endpoint-reconciler-type=none", "--enable-priority-and-fairness=false", "--profiling=false", "--v=1")

	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	c.client = &http.Client{Timeout: time.Minute, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	waitFor(t, apiserver, 4*time.Minute, "kube-apiserver", func() bool {
		status, _, _, err := c.do(http.MethodGet, "/readyz", "", nil)
		return err == nil && status == http.StatusOK
	})

	c.kubeconfig = filepath.Join(dir, "kubeconfig")
	kubeconfig := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
  - name: chart-test
    cluster:
      server: %s
      certificate-authority-data: %s
users:
  - name: chart-test-admin
    user:
      token: %s
contexts:
  - name: chart-test
    context: {cluster: chart-test, user: chart-test-admin}
current-context: chart-test
`, c.url, base64.StdEncoding.EncodeToString(certPEM), c.token)
	if err := os.WriteFile(c.kubeconfig, []byte(kubeconfig), 0o600); err != nil {
		t.Fatal(err)
	}
	return c
}

// do sends one request with the admin token and returns the status, the body and
// the API server's warnings (the Warning headers' texts).
func (c *cluster) do(method, path, contentType string, body []byte) (int, []byte, []string, error) {
	req, err := http.NewRequest(method, c.url+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	var warnings []string
	for _, h := range resp.Header.Values("Warning") {
		warnings = append(warnings, warningText(h))
	}
	return resp.StatusCode, b, warnings, err
}

// warningText is the text of a Warning header, 299 - "text" (RFC 7234, the
// text a quoted-string with backslash escapes): what kubectl and helm print.
func warningText(h string) string {
	_, quoted, ok := strings.Cut(h, ` - "`)
	if !ok {
		return h
	}
	var b strings.Builder
	for i := 0; i < len(quoted); i++ {
		switch quoted[i] {
		case '\\':
			if i+1 < len(quoted) {
				i++
				b.WriteByte(quoted[i])
			}
		case '"':
			return b.String()
		default:
			b.WriteByte(quoted[i])
		}
	}
	return b.String()
}

// mustDo is do that fails the test on an error status or a warning.
func (c *cluster) mustDo(t *testing.T, method, path, contentType string, body []byte) []byte {
	t.Helper()
	status, b, warnings, err := c.do(method, path, contentType, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	if status >= 300 {
		t.Fatalf("%s %s: %d %s", method, path, status, statusMessage(b))
	}
	if len(warnings) > 0 {
		t.Fatalf("%s %s: warnings %q", method, path, warnings)
	}
	return b
}

// statusMessage is the message of a metav1.Status answer, else the body.
func statusMessage(b []byte) string {
	var s struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(b, &s) == nil && s.Message != "" {
		return s.Message
	}
	return string(b)
}

// resource finds the REST resource of apiVersion/kind through discovery.
func (c *cluster) resource(apiVersion, kind string) (apiResource, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := apiVersion + "/" + kind
	if r, ok := c.resources[key]; ok {
		return r, nil
	}
	status, b, _, err := c.do(http.MethodGet, apiPrefix(apiVersion), "", nil)
	if err != nil {
		return apiResource{}, err
	}
	if status != http.StatusOK {
		return apiResource{}, fmt.Errorf("discovery of %s: %d %s", apiVersion, status, statusMessage(b))
	}
	var list struct {
		Resources []apiResource `json:"resources"`
	}
	if err := json.Unmarshal(b, &list); err != nil {
		return apiResource{}, err
	}
	for _, r := range list.Resources {
		if !strings.Contains(r.Name, "/") {
			c.resources[apiVersion+"/"+r.Kind] = r
		}
	}
	r, ok := c.resources[key]
	if !ok {
		return apiResource{}, fmt.Errorf("the server has no %s in %s", kind, apiVersion)
	}
	return r, nil
}

// forget drops what discovery found (after a CustomResourceDefinition is added).
func (c *cluster) forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.resources = map[string]apiResource{}
}

func apiPrefix(apiVersion string) string {
	if !strings.Contains(apiVersion, "/") {
		return "/api/" + apiVersion
	}
	return "/apis/" + apiVersion
}

// objectPath is the URL path of a named object (namespace: for namespaced kinds).
func (c *cluster) objectPath(apiVersion, kind, namespace, name string) (string, error) {
	r, err := c.resource(apiVersion, kind)
	if err != nil {
		return "", err
	}
	p := apiPrefix(apiVersion)
	if r.Namespaced {
		p += "/namespaces/" + namespace
	}
	return p + "/" + r.Name + "/" + name, nil
}

// process is a server the test started; done is closed when it has exited.
type process struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// startProcess starts a server with its output in logFile and stops it (SIGTERM,
// then SIGKILL after 10 seconds) when the test ends; the log's tail is printed if
// the test failed. On Linux the server also gets SIGKILL if the test binary dies.
func startProcess(t *testing.T, logFile, bin string, args ...string) *process {
	t.Helper()
	log, err := os.Create(logFile)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = childProcAttr()
	// etcd reads ETCD_* variables as flags; the ETCD of `make chart-test` is for us.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ETCD_") && !strings.HasPrefix(kv, "ETCD=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		// What the server said while the test ran, not its shutdown.
		var size int64
		if fi, err := log.Stat(); err == nil {
			size = fi.Size()
		}
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		log.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logFile)
			b = b[:min(int64(len(b)), size)]
			if len(b) > 6000 {
				b = b[len(b)-6000:]
			}
			t.Logf("%s (last lines):\n%s", filepath.Base(logFile), b)
		}
	})
	return &process{cmd: cmd, done: done}
}

// waitFor polls ready until it holds, the process exits or timeout passes.
func waitFor(t *testing.T, p *process, timeout time.Duration, what string, ready func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	start := time.Now()
	for !ready() {
		select {
		case <-p.done:
			t.Fatalf("%s exited: %v", what, p.cmd.ProcessState)
		case <-ctx.Done():
			t.Fatalf("%s not ready after %s", what, timeout)
		case <-time.After(250 * time.Millisecond):
		}
	}
	t.Logf("%s ready after %s", what, time.Since(start).Round(100*time.Millisecond))
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// selfSignedServingCert is kube-apiserver's serving certificate for 127.0.0.1 and
// localhost; being self-signed, it is also the CA the clients trust.
func selfSignedServingCert(t *testing.T) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "kube-apiserver (closeloop chart test)"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
}

// serviceAccountKeys is the key pair kube-apiserver signs and checks service
// account tokens with (required flags since Kubernetes 1.20).
func serviceAccountKeys(t *testing.T) (keyPEM, pubPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}),
		pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
}
