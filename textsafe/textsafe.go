// Package textsafe makes text that came from elsewhere (Proxmox, NetBox, a
// configuration file, an SSH client) safe to write to a terminal or a log.
//
// Unsafe are invalid UTF-8 and these characters (IsUnsafe):
//   - control characters: C0 (U+0000–U+001F), DEL (U+007F) and C1
//     (U+0080–U+009F). ESC and CSI (U+009B) start escape sequences (OSC 52
//     writes the clipboard, OSC 0 the window title, CSI 2J clears the
//     screen); BEL, BS and CR change what is already on the screen;
//   - format characters (Unicode category Cf): bidi embeddings, overrides
//     and isolates (U+202A–U+202E, U+2066–U+2069), which reorder text,
//     and zero-width characters, the BOM and tag characters, which hide it;
//   - the line and paragraph separators U+2028 and U+2029.
//
// Text for reading (Line, Text, NewWriter) replaces each unsafe character
// and each invalid byte with U+FFFD "�", as the TUI draws it. Data keeps
// its characters but escaped: JSON as \uXXXX, with each invalid byte as
// \ufffd (JSON, NewJSONWriter); a CSV cell as a Go escape such as \x1b or
// \u202e, with each invalid byte as "�" (Escape).
package textsafe

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Replacement is what readable text shows instead of an unsafe character
// or an invalid byte.
const Replacement = "\uFFFD"

// IsUnsafe reports whether r must not reach a terminal as it is.
func IsUnsafe(r rune) bool {
	switch {
	case r < 0x20 || r >= 0x7f && r <= 0x9f:
		return true
	case r < 0xad: // the first format character is the soft hyphen
		return false
	case r == '\u2028' || r == '\u2029':
		return true
	}
	return unicode.Is(unicode.Cf, r)
}

// Line returns s for one line of a terminal: each unsafe character and each
// invalid byte becomes U+FFFD, and each run of tabs, newlines and carriage
// returns becomes one space. Names, messages and errors are printed
// through it, so a value can neither move the cursor nor start a line of
// its own.
func Line(s string) string {
	if lineOK(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	space := false
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			if !space {
				b.WriteByte(' ')
			}
			space = true
			i += size
			continue
		case r == utf8.RuneError && size == 1, IsUnsafe(r):
			b.WriteString(Replacement)
		default:
			b.WriteString(s[i : i+size])
		}
		space = false
		i += size
	}
	return b.String()
}

// Text returns s for a terminal, keeping its lines: newlines and tabs stay,
// a carriage return before a newline is dropped, and every other unsafe
// character and invalid byte becomes U+FFFD (a lone carriage return too).
// It is for messages that are several lines by design, such as a list of
// configuration errors.
func Text(s string) string {
	if textOK(s) {
		return s
	}
	return string(appendText(make([]byte, 0, len(s)+8), s, true))
}

// appendText appends s as Text does. atEnd says whether s ends the text:
// a carriage return at the end of a chunk may precede a newline in the
// next one (NewWriter keeps it back instead).
func appendText(dst []byte, s string, atEnd bool) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < 0x7f || c == '\n' || c == '\t' {
			dst = append(dst, c)
			i++
			continue
		}
		if c == '\r' && (i+1 < len(s) && s[i+1] == '\n' || i+1 == len(s) && !atEnd) {
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || IsUnsafe(r) {
			dst = append(dst, Replacement...)
		} else {
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return dst
}

// lineOK reports whether Line would return s unchanged.
func lineOK(s string) bool { return unchanged(s, false) }

// textOK reports whether Text would return s unchanged.
func textOK(s string) bool { return unchanged(s, true) }

// unchanged reports whether s holds only safe characters (and, with
// breaks, line feeds and tabs).
func unchanged(s string, breaks bool) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < 0x7f || breaks && (c == '\n' || c == '\t') {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			return false
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || IsUnsafe(r) {
			return false
		}
		i += size
	}
	return true
}
