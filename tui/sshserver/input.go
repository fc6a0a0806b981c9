package sshserver

import (
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// sessionInput reads the client's bytes in its own goroutine and hands them
// to one reader at a time. Unlike a read on the SSH channel, a wait on it
// can be given up without losing bytes: the terminal query at start times
// out cleanly, and whatever the user typed meanwhile still reaches the TUI.
type sessionInput struct {
	chunks chan []byte
	stop   chan struct{}
	once   sync.Once
	buf    []byte // taken from chunks, not yet read
}

func newSessionInput(src io.Reader) *sessionInput {
	in := &sessionInput{chunks: make(chan []byte), stop: make(chan struct{})}
	go in.pump(src)
	return in
}

func (in *sessionInput) pump(src io.Reader) {
	defer close(in.chunks)
	for {
		b := make([]byte, 4096)
		n, err := src.Read(b)
		if n > 0 {
			select {
			case in.chunks <- b[:n]:
			case <-in.stop:
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// Read returns buffered bytes, else waits for the next chunk; io.EOF once
// the client is gone or Close was called.
func (in *sessionInput) Read(p []byte) (int, error) {
	if len(in.buf) == 0 {
		select {
		case b, ok := <-in.chunks:
			if !ok {
				return 0, io.EOF
			}
			in.buf = b
		case <-in.stop:
			return 0, io.EOF
		}
	}
	n := copy(p, in.buf)
	in.buf = in.buf[n:]
	return n, nil
}

// next waits for a chunk until the deadline; ok is false on timeout or end.
func (in *sessionInput) next(deadline <-chan time.Time) ([]byte, bool) {
	select {
	case b, ok := <-in.chunks:
		return b, ok
	case <-deadline:
		return nil, false
	case <-in.stop:
		return nil, false
	}
}

// unread puts bytes back in front of what Read returns next.
func (in *sessionInput) unread(b []byte) {
	if len(b) > 0 {
		in.buf = append(append([]byte(nil), b...), in.buf...)
	}
}

// Close ends Read at once (the TUI quit) and releases the pump.
func (in *sessionInput) Close() { in.once.Do(func() { close(in.stop) }) }

// Asking the terminal for its background colour (OSC 11), then for its
// primary device attributes (DA1): every terminal answers DA1, so its
// answer ends the wait even when the colour query is not supported.
const backgroundQuery = "\x1b]11;?\x07\x1b[c"

var (
	da1Reply   = regexp.MustCompile(`\x1b\[\?[0-9;]*c`)
	osc11Reply = regexp.MustCompile(`\x1b\]11;([^\x07\x1b]*)(?:\x07|\x1b\\)`)
)

// queryBackground asks the client's terminal whether its background is dark.
// known is false when the terminal did not say within timeout; the bytes
// that are not part of the answers are kept for the TUI.
func queryBackground(w io.Writer, in *sessionInput, timeout time.Duration) (dark, known bool) {
	if _, err := io.WriteString(w, backgroundQuery); err != nil {
		return false, false
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	var got []byte
	for !da1Reply.Match(got) {
		b, ok := in.next(timer.C)
		if !ok {
			break
		}
		got = append(got, b...)
	}
	if m := osc11Reply.FindSubmatchIndex(got); m != nil {
		dark, known = isDark(string(got[m[2]:m[3]]))
		got = append(got[:m[0]:m[0]], got[m[1]:]...)
	}
	if m := da1Reply.FindIndex(got); m != nil {
		got = append(got[:m[0]:m[0]], got[m[1]:]...)
	}
	in.unread(got)
	return dark, known
}

// isDark reads an X11 colour spec ("rgb:RRRR/GGGG/BBBB" or "#RRGGBB") and
// reports whether its lightness is below one half.
func isDark(spec string) (dark, ok bool) {
	var parts []string
	switch {
	case strings.HasPrefix(spec, "rgb:"):
		parts = strings.Split(strings.TrimPrefix(spec, "rgb:"), "/")
	case strings.HasPrefix(spec, "#") && len(spec) == 7:
		parts = []string{spec[1:3], spec[3:5], spec[5:7]}
	}
	if len(parts) != 3 {
		return false, false
	}
	lo, hi := 1.0, 0.0
	for _, p := range parts {
		if len(p) == 0 || len(p) > 4 {
			return false, false
		}
		v, err := strconv.ParseUint(p, 16, 16)
		if err != nil {
			return false, false
		}
		f := float64(v) / float64(uint64(1)<<(4*len(p))-1)
		lo, hi = min(lo, f), max(hi, f)
	}
	return (lo+hi)/2 < 0.5, true
}
