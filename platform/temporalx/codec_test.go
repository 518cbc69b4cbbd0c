package temporalx_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/proto"

	"github.com/closeloop/closeloop/platform/temporalx"
	"github.com/closeloop/closeloop/platform/testenv"
)

func newKey(t testing.TB) string {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

func ring(t testing.TB, spec string) *temporalx.KeyRing {
	t.Helper()
	k, err := temporalx.ParseKeyRing("TEMPORAL_PAYLOAD_KEYS", spec)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

type person struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

func TestPayloadCodecRoundTrip(t *testing.T) {
	k := ring(t, "k1:"+newKey(t))
	dc := k.DataConverter()
	in := person{Name: "Erika Mustermann", Email: "erika@example.com"}
	p, err := dc.ToPayload(in)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(p.Metadata[converter.MetadataEncoding]); got != temporalx.EncodingEncrypted {
		t.Fatalf("encoding %q, want %q", got, temporalx.EncodingEncrypted)
	}
	if got := string(p.Metadata[temporalx.MetadataKeyID]); got != "k1" {
		t.Fatalf("key id %q, want k1", got)
	}
	raw, _ := proto.Marshal(p)
	for _, plain := range []string{"Erika", "erika@example.com", "json/plain"} {
		if bytes.Contains(raw, []byte(plain)) {
			t.Fatalf("the encrypted payload still shows %q", plain)
		}
	}
	var out person
	if err := dc.FromPayload(p, &out); err != nil {
		t.Fatal(err)
	}
	if out != in {
		t.Fatalf("round trip gave %+v, want %+v", out, in)
	}
	// Two encryptions of one value differ (a fresh nonce each time).
	p2, _ := dc.ToPayload(in)
	if bytes.Equal(p.Data, p2.Data) {
		t.Fatal("the same value encrypted twice gave the same bytes")
	}
	// Several payloads at once, nil among them.
	ps, err := dc.ToPayloads("a", nil, 42)
	if err != nil {
		t.Fatal(err)
	}
	var a string
	var n any
	var num int
	if err := dc.FromPayloads(ps, &a, &n, &num); err != nil || a != "a" || n != nil || num != 42 {
		t.Fatalf("FromPayloads: %v %q %v %d", err, a, n, num)
	}
}

// TestPayloadCodecPassesUnencryptedPayloadsThrough: histories written before
// encryption was turned on (and the replay tests' recorded ones) still decode.
func TestPayloadCodecPassesUnencryptedPayloadsThrough(t *testing.T) {
	plain, err := converter.GetDefaultDataConverter().ToPayload(person{Name: "Max"})
	if err != nil {
		t.Fatal(err)
	}
	var out person
	if err := ring(t, "k1:"+newKey(t)).DataConverter().FromPayload(plain, &out); err != nil || out.Name != "Max" {
		t.Fatalf("an unencrypted payload did not pass through: %v %+v", err, out)
	}
}

func TestPayloadCodecRotation(t *testing.T) {
	k1, k2 := newKey(t), newKey(t)
	before := ring(t, "k1:"+k1)
	old, err := before.DataConverter().ToPayload("written under k1")
	if err != nil {
		t.Fatal(err)
	}
	// Rotation: k2 becomes active, k1 stays for decryption.
	after := ring(t, "k2:"+k2+",k1:"+k1)
	if after.ActiveKeyID() != "k2" || strings.Join(after.KeyIDs(), ",") != "k2,k1" {
		t.Fatalf("active %s, ids %v", after.ActiveKeyID(), after.KeyIDs())
	}
	var s string
	if err := after.DataConverter().FromPayload(old, &s); err != nil || s != "written under k1" {
		t.Fatalf("a k1 payload after the rotation: %v %q", err, s)
	}
	fresh, _ := after.DataConverter().ToPayload("written under k2")
	if got := string(fresh.Metadata[temporalx.MetadataKeyID]); got != "k2" {
		t.Fatalf("new payloads are encrypted with %q, want k2", got)
	}
	// k1 retired too early: the error names the missing key.
	retired := ring(t, "k2:"+k2)
	err = retired.DataConverter().FromPayload(old, &s)
	if err == nil || !strings.Contains(err.Error(), `key id "k1"`) || !strings.Contains(err.Error(), "not in the key ring (k2)") {
		t.Fatalf("decrypting a k1 payload without k1: %v", err)
	}
}

func TestPayloadCodecDetectsTampering(t *testing.T) {
	k1, k2 := newKey(t), newKey(t)
	k := ring(t, "k1:"+k1+",k2:"+k2)
	codec := k.Codec()
	good, err := k.DataConverter().ToPayload("the customer's notes")
	if err != nil {
		t.Fatal(err)
	}
	decode := func(p *commonpb.Payload) error {
		_, err := codec.Decode([]*commonpb.Payload{p})
		return err
	}
	if err := decode(good); err != nil {
		t.Fatal(err)
	}
	flipped := proto.Clone(good).(*commonpb.Payload)
	flipped.Data[len(flipped.Data)/2] ^= 1
	if err := decode(flipped); err == nil || !strings.Contains(err.Error(), "does not authenticate") {
		t.Fatalf("a flipped bit: %v", err)
	}
	relabelled := proto.Clone(good).(*commonpb.Payload)
	relabelled.Metadata[temporalx.MetadataKeyID] = []byte("k2")
	if err := decode(relabelled); err == nil || !strings.Contains(err.Error(), `key id "k2" does not authenticate`) {
		t.Fatalf("another key id: %v", err)
	}
	short := proto.Clone(good).(*commonpb.Payload)
	short.Data = short.Data[:10]
	if err := decode(short); err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("a truncated payload: %v", err)
	}
	other := proto.Clone(good).(*commonpb.Payload)
	other.Metadata[temporalx.MetadataCipher] = []byte("ROT13")
	if err := decode(other); err == nil || !strings.Contains(err.Error(), `cipher "ROT13"`) {
		t.Fatalf("another cipher: %v", err)
	}
}

func TestParseKeyRingRejectsBadKeysClearly(t *testing.T) {
	good := newKey(t)
	short := base64.StdEncoding.EncodeToString(make([]byte, 16))
	for _, tc := range []struct{ spec, want string }{
		{"", "holds no key"},
		{" , ", "holds no key"},
		{good, "entry 1 is not id:base64key"},
		{"k1:" + good + ",bad/id:" + good, "entry 2: key id"},
		{"k1:" + good + ",k1:" + good, `key id "k1" appears twice`},
		{"k1:%%%%", `key "k1" is not base64`},
		{"k1:" + short, `key "k1" is 16 bytes, want 32`},
	} {
		_, err := temporalx.ParseKeyRing("TEMPORAL_PAYLOAD_KEYS", tc.spec)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "TEMPORAL_PAYLOAD_KEYS") {
			t.Errorf("%q: got %v, want an error naming TEMPORAL_PAYLOAD_KEYS with %q", tc.spec, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), good) {
			t.Errorf("%q: the error shows key material: %v", tc.spec, err)
		}
	}
	// Padding-free and URL-safe base64, several per line, comments.
	raw := make([]byte, 32)
	raw[0] = 0xfb // '-' / '_' in URL-safe base64
	k, err := temporalx.ParseKeyRing("f", "# rotated 2026-12\nnew:"+base64.RawURLEncoding.EncodeToString(raw)+"\n\nold:"+good+"  older:"+good+"\n")
	if err != nil || strings.Join(k.KeyIDs(), ",") != "new,old,older" {
		t.Fatalf("a key file: %v", err)
	}
}

func TestLoadKeyRingFromVariableOrFile(t *testing.T) {
	key := newKey(t)
	if k, err := temporalx.LoadKeyRing(temporalx.Config{}); k != nil || err != nil {
		t.Fatalf("no keys configured: %v %v", k, err)
	}
	file := filepath.Join(t.TempDir(), "keys")
	if err := os.WriteFile(file, []byte("k7:"+key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	k, err := temporalx.LoadKeyRing(temporalx.Config{PayloadKeysFile: file})
	if err != nil || k.ActiveKeyID() != "k7" {
		t.Fatalf("from a file: %v", err)
	}
	_, err = temporalx.LoadKeyRing(temporalx.Config{PayloadKeys: "k1:" + key, PayloadKeysFile: file})
	if err == nil || !strings.Contains(err.Error(), "both set") {
		t.Fatalf("both set: %v", err)
	}
	_, err = temporalx.LoadKeyRing(temporalx.Config{PayloadKeysFile: filepath.Join(t.TempDir(), "missing")})
	if err == nil || !strings.HasPrefix(err.Error(), "TEMPORAL_PAYLOAD_KEYS_FILE") {
		t.Fatalf("a missing file: %v", err)
	}
	// ClientOptions: an encrypting converter with keys, the package's own
	// without (and the SDK's default failure converter), and a clear error
	// (through Dial too) with bad keys.
	co, err := temporalx.ClientOptions(temporalx.Config{Address: "localhost:7233", PayloadKeys: "k1:" + key}, temporalx.Options{})
	if err != nil || co.DataConverter == nil || co.FailureConverter == nil {
		t.Fatalf("with keys: %v %v %v", err, co.DataConverter, co.FailureConverter)
	}
	co, err = temporalx.ClientOptions(temporalx.Config{Address: "localhost:7233"}, temporalx.Options{})
	if err != nil || co.DataConverter != temporalx.DataConverter() || co.FailureConverter != nil {
		t.Fatalf("without keys: %v %v %v", err, co.DataConverter, co.FailureConverter)
	}
	_, err = temporalx.Dial(context.Background(), temporalx.Config{Address: "localhost:7233", PayloadKeys: "k1:short"}, temporalx.Options{Lazy: true})
	if err == nil || !strings.Contains(err.Error(), "TEMPORAL_PAYLOAD_KEYS") {
		t.Fatalf("bad keys: %v", err)
	}
}

func TestFailureConverterEncryptsMessages(t *testing.T) {
	fc := temporalx.FailureConverter(ring(t, "k1:"+newKey(t)).DataConverter())
	f := fc.ErrorToFailure(temporal.NewApplicationError("no customer Erika Mustermann", "NotFound", "erika@example.com"))
	raw, _ := proto.Marshal(f)
	for _, plain := range []string{"Erika", "erika@example.com"} {
		if bytes.Contains(raw, []byte(plain)) {
			t.Fatalf("the failure still shows %q: %v", plain, f)
		}
	}
	if f.GetApplicationFailureInfo().GetType() != "NotFound" {
		t.Fatalf("the error type is gone: %v", f)
	}
	err := fc.FailureToError(f)
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || !strings.Contains(app.Error(), "no customer Erika Mustermann") {
		t.Fatalf("decoded failure: %v", err)
	}
	var detail string
	if err := app.Details(&detail); err != nil || detail != "erika@example.com" {
		t.Fatalf("details: %v %q", err, detail)
	}
}

const marker = "Marker-Erika-Mustermann-4711"

func codecWorkflow(ctx workflow.Context, in person) (string, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{MaximumAttempts: 1}})
	err := workflow.ExecuteActivity(ctx, "codec-fail", in).Get(ctx, nil)
	if err == nil || !strings.Contains(err.Error(), marker) {
		return "", fmt.Errorf("the failing activity's error lost its message: %v", err)
	}
	var greeting string
	if err := workflow.ExecuteActivity(ctx, "codec-greet", in).Get(ctx, &greeting); err != nil {
		return "", err
	}
	return greeting, nil
}

// TestEncryptedHistoryOnTheDevServer runs a workflow with a client and worker
// that have a key ring, and reads its history back with a client that has
// none: every payload (input, activity inputs and results, the memo, the
// result) is encrypted, the failure's message too, and the marker string
// appears nowhere. The client with the keys reads the result.
func TestEncryptedHistoryOnTheDevServer(t *testing.T) {
	hostPort, namespace := testenv.Temporal(t)
	keys := "k2:" + newKey(t) + ",k1:" + newKey(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	quiet := slog.New(slog.DiscardHandler)
	enc, err := temporalx.Dial(ctx, temporalx.Config{Address: hostPort, Namespace: namespace, PayloadKeys: keys}, temporalx.Options{Identity: "codec-test", Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	plain, err := temporalx.Dial(ctx, temporalx.Config{Address: hostPort, Namespace: namespace}, temporalx.Options{Identity: "codec-test-plain", Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()

	queue := "codec-test-" + fmt.Sprint(time.Now().UnixNano())
	w := worker.New(enc, queue, worker.Options{})
	w.RegisterWorkflowWithOptions(codecWorkflow, workflow.RegisterOptions{Name: "codec-workflow"})
	w.RegisterActivityWithOptions(func(ctx context.Context, in person) (string, error) {
		return "Hello " + in.Name, nil
	}, activity.RegisterOptions{Name: "codec-greet"})
	w.RegisterActivityWithOptions(func(ctx context.Context, in person) error {
		return temporal.NewNonRetryableApplicationError("cannot reach "+in.Name, "Unreachable", nil, in.Email)
	}, activity.RegisterOptions{Name: "codec-fail"})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()

	run, err := enc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: queue, TaskQueue: queue, Memo: map[string]any{"note": marker}},
		"codec-workflow", person{Name: marker, Email: marker + "@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	var got string
	if err := run.Get(ctx, &got); err != nil || got != "Hello "+marker {
		t.Fatalf("result through the codec: %v %q", err, got)
	}
	// Without the keys the result cannot be read.
	if err := plain.GetWorkflow(ctx, run.GetID(), run.GetRunID()).Get(ctx, &got); err == nil {
		t.Fatal("a client without the keys read the encrypted result")
	}

	h := &historypb.History{}
	it := plain.GetWorkflowHistory(ctx, run.GetID(), run.GetRunID(), false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		h.Events = append(h.Events, ev)
	}
	raw, err := proto.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(marker)) {
		t.Fatalf("the history holds %q in clear", marker)
	}
	var payloads []*commonpb.Payload
	var failures int
	for _, ev := range h.Events {
		switch a := ev.GetAttributes().(type) {
		case *historypb.HistoryEvent_WorkflowExecutionStartedEventAttributes:
			payloads = append(payloads, a.WorkflowExecutionStartedEventAttributes.GetInput().GetPayloads()...)
			for _, p := range a.WorkflowExecutionStartedEventAttributes.GetMemo().GetFields() {
				payloads = append(payloads, p)
			}
		case *historypb.HistoryEvent_ActivityTaskScheduledEventAttributes:
			payloads = append(payloads, a.ActivityTaskScheduledEventAttributes.GetInput().GetPayloads()...)
		case *historypb.HistoryEvent_ActivityTaskCompletedEventAttributes:
			payloads = append(payloads, a.ActivityTaskCompletedEventAttributes.GetResult().GetPayloads()...)
		case *historypb.HistoryEvent_ActivityTaskFailedEventAttributes:
			f := a.ActivityTaskFailedEventAttributes.GetFailure()
			if f.GetEncodedAttributes() == nil || f.GetMessage() != "Encoded failure" {
				t.Fatalf("the activity failure's message is not encrypted: %v", f)
			}
			payloads = append(payloads, f.GetEncodedAttributes())
			payloads = append(payloads, f.GetApplicationFailureInfo().GetDetails().GetPayloads()...)
			failures++
		case *historypb.HistoryEvent_WorkflowExecutionCompletedEventAttributes:
			payloads = append(payloads, a.WorkflowExecutionCompletedEventAttributes.GetResult().GetPayloads()...)
		}
	}
	if len(payloads) < 8 || failures != 1 {
		t.Fatalf("found %d payloads and %d failures in the history, want at least 8 and 1", len(payloads), failures)
	}
	for i, p := range payloads {
		if string(p.GetMetadata()[converter.MetadataEncoding]) != temporalx.EncodingEncrypted || string(p.GetMetadata()[temporalx.MetadataKeyID]) != "k2" {
			t.Errorf("payload %d is not encrypted with the active key: %v", i, p.GetMetadata())
		}
	}
}
