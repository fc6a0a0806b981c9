package netbox

import (
	"strings"
	"testing"

	"github.com/proxbox-tui/proxbox-tui/netbox/nbsim"
)

// TestPushNetBoxFaults is QUALITY's NetBox fault suite: a push through 5xx,
// 429 with Retry-After, connection resets, writes answered by a gateway
// timeout after they happened, and one VM NetBox's validation refuses;
// then one clean push. NetBox then holds exactly the expected objects, none
// twice, and the refused VM is reported by name with NetBox's message.
func TestPushNetBoxFaults(t *testing.T) {
	dm := startDemo(t)
	const refusal = "Names of databases need a change ticket."
	reject := []nbsim.Rejection{{
		Endpoint: "virtualization/virtual-machines",
		Match:    func(body, _ map[string]any) bool { return body["name"] == "db01" },
		Field:    "name", Message: refusal,
	}}
	s := startNetBox(t, nbsim.Options{Version: "4.4", Plugin: true, Seed: 7, Faults: nbsim.Faults{
		Rate:       0.25,
		Kinds:      []nbsim.FaultKind{nbsim.Fault5xx, nbsim.Fault429, nbsim.FaultReset, nbsim.FaultTimeoutAfterWrite},
		RetryAfter: 1,
		Reject:     reject,
	}})
	c := newClient(t, s)
	_, res := push(t, c, dm.st, DefaultSettings(), Scope{})
	if f := s.Counters().Faults; f == 0 {
		t.Fatal("no fault was injected")
	}
	t.Logf("chaotic push: %d failures, %d faults, statuses %v", len(res.Failures), s.Counters().Faults, s.Counters().Status)
	for i, f := range res.Failures {
		if i < 4 {
			t.Logf("  %s", f.Message)
		}
	}

	s.SetFaults(nbsim.Faults{Reject: reject})
	_, res = push(t, c, dm.st, DefaultSettings(), Scope{})
	compareSets(t, expected(t, dm.st, "4.4", true, "db01"), actual(s))

	var vmFailures []Failure
	for _, f := range res.Failures {
		if f.Kind == KindVM {
			vmFailures = append(vmFailures, f)
		} else if !strings.Contains(f.Message, "db01") {
			t.Errorf("failure unrelated to db01: %s", f.Message)
		}
	}
	if len(vmFailures) != 1 {
		t.Fatalf("VM failures: %v", vmFailures)
	}
	msg := vmFailures[0].Message
	if !strings.Contains(msg, `"db01"`) || !strings.Contains(msg, refusal) || !strings.Contains(msg, "name: ") {
		t.Errorf("the refusal is reported as %q", msg)
	}
}
