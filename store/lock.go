package store

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"
)

// Owner describes the process holding the cache, so that a second process
// can say who it is and how to reach it.
type Owner struct {
	PID     int       `json:"pid"`
	Command string    `json:"command"`
	Since   time.Time `json:"since"`
	// SSHListen is set by `serve`: the address sessions can attach to.
	SSHListen string `json:"ssh_listen,omitempty"`
}

// LockedError reports a cache file held by another process.
type LockedError struct {
	Path   string
	Holder *Owner // nil when the holder left no description
}

func (e *LockedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "cache %s is locked by another proxbox-tui process", e.Path)
	if h := e.Holder; h != nil {
		fmt.Fprintf(&b, " (pid %d, %q, since %s)", h.PID, h.Command, h.Since.Format(time.RFC3339))
	}
	b.WriteString(": ")
	if h := e.Holder; h != nil && h.SSHListen != "" {
		fmt.Fprintf(&b, "attach to it with `ssh -p %s <host>`", portOf(h.SSHListen))
	} else {
		b.WriteString("if it serves over SSH, attach to it with `ssh -p PORT <host>`")
	}
	b.WriteString(", or pass --cache FILE to use another cache file")
	return b.String()
}

func portOf(listen string) string {
	if i := strings.LastIndex(listen, ":"); i >= 0 {
		return listen[i+1:]
	}
	return listen
}

func ownerPath(cachePath string) string { return cachePath + ".owner" }

func writeOwner(path string, o Owner) {
	if o.PID == 0 {
		o.PID = os.Getpid()
	}
	if o.Command == "" {
		o.Command = strings.Join(os.Args, " ")
	}
	if o.Since.IsZero() {
		o.Since = time.Now()
	}
	b, err := json.Marshal(o)
	if err != nil {
		return
	}
	// Best effort: the description only improves an error message.
	_ = os.WriteFile(path, b, 0o600)
}

func readOwner(path string) *Owner {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var o Owner
	if json.Unmarshal(b, &o) != nil || o.PID == 0 {
		return nil
	}
	return &o
}

// Holder returns the description the process holding path left, if any.
func Holder(path string) *Owner { return readOwner(ownerPath(path)) }
