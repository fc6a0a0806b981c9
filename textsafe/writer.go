package textsafe

import (
	"io"
	"unicode/utf8"
)

// NewWriter returns a writer that passes text to w as Text makes it: lines
// and tabs stay, unsafe characters and invalid bytes become U+FFFD. A
// character (or a carriage return before a newline) split across two
// writes is kept back until the next one; an incomplete character left at
// the very end is not written. Wrap a command's output with it when its
// lines mix our words with values from elsewhere; values that must stay on
// one line still need Line.
func NewWriter(w io.Writer) io.Writer { return &writer{w: w} }

// NewJSONWriter returns a writer that passes JSON text to w as JSON makes
// it, such as the lines of a slog JSON handler (which escapes control
// characters below U+0020 and U+2028/U+2029, but not DEL, C1 controls or
// format characters). Characters split across writes are kept back as
// NewWriter does.
func NewJSONWriter(w io.Writer) io.Writer { return &writer{w: w, json: true} }

// writer is not safe for concurrent use; slog's handlers serialise their
// writes.
type writer struct {
	w     io.Writer
	json  bool
	carry []byte // the end of the last write, completed by the next one
	buf   []byte
}

func (w *writer) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	data := p
	if len(w.carry) > 0 {
		data = append(w.carry, p...)
		w.carry = nil
	}
	held := heldBack(data, !w.json)
	chunk := data[:len(data)-held]
	if w.json {
		w.buf = appendJSON(w.buf[:0], chunk)
	} else {
		w.buf = appendText(w.buf[:0], string(chunk), true)
	}
	if held > 0 {
		w.carry = append([]byte(nil), data[len(data)-held:]...)
	}
	if len(w.buf) > 0 {
		if _, err := w.w.Write(w.buf); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// heldBack is how many bytes at the end of b the next write may complete:
// the start of a multi-byte character, or (in text) a carriage return.
func heldBack(b []byte, text bool) int {
	if len(b) == 0 {
		return 0
	}
	for n := 1; n < utf8.UTFMax && n <= len(b); n++ {
		c := b[len(b)-n]
		if c < utf8.RuneSelf {
			break
		}
		if utf8.RuneStart(c) {
			if !utf8.FullRune(b[len(b)-n:]) {
				return n
			}
			break
		}
	}
	if text && b[len(b)-1] == '\r' {
		return 1
	}
	return 0
}
