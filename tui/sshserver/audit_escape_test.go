package sshserver

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// TestAuditEscapesClientText: a user name and terminal a client chose,
// with escape sequences and C1 controls, stay data in the audit log.
func TestAuditEscapesClientText(t *testing.T) {
	var buf bytes.Buffer
	a := NewAudit(&buf)
	user := "alice\x1b]52;c;aGk=\a\u009b2J\u202e"
	a.Record(Identity{Session: 1, User: user}, "session-start", "terminal xterm\x1b[2J 80x24", ResultOK)
	line := buf.String()
	for _, bad := range []string{"\x1b", "\a", "\u009b", "\u202e"} {
		if strings.Contains(line, bad) {
			t.Errorf("the audit line carries %q raw: %q", bad, line)
		}
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(line), &rec); err != nil || rec["user"] != user {
		t.Errorf("the line does not keep the data (%v): %q", err, line)
	}
}
