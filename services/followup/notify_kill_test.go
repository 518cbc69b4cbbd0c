package followup_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	osexec "os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/testenv"
)

// startFollowUpProcess runs the follow-up service as a child process (the
// test binary itself, see TestMain) on the stack's follow-up database,
// with the stack's environment plus env. The process is killed at the end
// of the test; its output is logged if the test failed.
func (s *mailStack) startFollowUpProcess(dsn string, env map[string]string) (*osexec.Cmd, *bytes.Buffer) {
	s.t.Helper()
	return s.stack.startFollowUpProcess(dsn, s.temporal, s.namespace, s.env, env)
}

// startFollowUpProcess runs the follow-up service as a child process on
// the database dsn and the Temporal namespace at hostPort, beside the
// stack's customer service and token issuer, with the variables of envs
// added in order. The process is killed at the end of the test; its output
// is logged if the test failed.
func (s *stack) startFollowUpProcess(dsn, hostPort, namespace string, envs ...map[string]string) (*osexec.Cmd, *bytes.Buffer) {
	s.t.Helper()
	cmd := osexec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), followUpProcessEnv+"=1", "DATABASE_URL="+dsn, "HTTP_ADDR=127.0.0.1:0",
		"OIDC_ISSUER_URL="+s.Issuer.URL(), "CUSTOMER_API_URL="+s.Base, "TEMPORAL_ADDRESS="+hostPort,
		"TEMPORAL_NAMESPACE="+namespace, "LOG_LEVEL=info", "SHUTDOWN_TIMEOUT=2s")
	for _, env := range envs {
		for k, v := range env {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if s.t.Failed() && strings.TrimSpace(out.String()) != "" {
			s.t.Logf("follow-up process output:\n%s", out.String())
		}
	})
	return cmd, &out
}

// TestEmailSurvivesAKillBetweenSendingAndRecording: the only replica that
// sends email is killed with SIGKILL right after the relay accepted a
// message and before the delivery was recorded. A new replica takes the
// unrecorded deliveries over once their claim runs out and sends them
// again under the same Message-ID — which the catcher, like the mailbox
// providers, counts as one message: each person gets each message once,
// and every delivery ends recorded as sent.
func TestEmailSurvivesAKillBetweenSendingAndRecording(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills a service process")
	}
	dsn := testenv.Postgres(t)
	// The in-process follow-up service records steps but sends nothing:
	// the child processes are the senders.
	s := newMailStackOn(t, testenv.Postgres(t), dsn, map[string]string{"NOTIFY_DISPATCH": "false", "NOTIFY_CLAIM": "5s"}, "--ignore-duplicate-ids")
	s.prefer(repAna, map[string]any{"language": "zh-Hans", "time_zone": "Asia/Shanghai"})
	s.prefer(mgrMia, nil)

	first, out := s.startFollowUpProcess(dsn, map[string]string{"NOTIFY_DISPATCH": "true", "CLOSELOOP_FAULT": "notify.after-send"})
	id := "0190c000-0000-7000-8000-00000000f301"
	s.overdue(id, repAna, "call back about the valves")
	diedAtFault(t, first, out, "the sender")
	caught, err := s.mail.Messages(context.Background())
	if err != nil || len(caught) == 0 {
		t.Fatalf("nothing was sent before the kill (%v)", err)
	}
	for _, d := range s.deliveries(id) {
		if d["status"] == "sent" {
			t.Fatalf("a delivery was recorded although its sender died before recording: %v", d)
		}
	}

	s.startFollowUpProcess(dsn, map[string]string{"NOTIFY_DISPATCH": "true"})
	eventually(t, "every delivery recorded as sent", 90*time.Second, func() bool {
		ds := s.deliveries(id)
		for _, d := range ds {
			if d["status"] != "sent" {
				return false
			}
		}
		return len(ds) == 3
	})
	time.Sleep(2 * time.Second)
	in := s.inbox()
	if len(in[repAna+"@closeloop.test"]) != 2 || len(in[mgrMia+"@closeloop.test"]) != 1 {
		t.Fatalf("mail after the restart: %v", in)
	}
	seen := map[string]bool{}
	for _, list := range in {
		for _, m := range list {
			if seen[m.MessageID] {
				t.Fatalf("message %s caught twice", m.MessageID)
			}
			seen[m.MessageID] = true
		}
	}
	for _, m := range caught {
		if !seen[m.MessageID] {
			t.Fatalf("the message sent before the kill (%s) is not one of the deliveries recorded after", m.MessageID)
		}
	}
}

// diedAtFault waits until cmd, armed at a fault point, has died there by
// SIGKILL (within 90 s), failing the test with its output otherwise; who
// names it in the message.
func diedAtFault(t *testing.T, cmd *osexec.Cmd, out *bytes.Buffer, who string) {
	t.Helper()
	died := make(chan error, 1)
	go func() { died <- cmd.Wait() }()
	select {
	case err := <-died:
		var exit *osexec.ExitError
		if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("%s did not die by SIGKILL: %v\n%s", who, err, out)
		}
	case <-time.After(90 * time.Second):
		t.Fatalf("%s never reached the fault point:\n%s", who, out)
	}
}
