package textsafe

import (
	"unicode/utf16"
	"unicode/utf8"
)

// JSON returns JSON text b with every unsafe character that encoding/json
// and log/slog leave as they are (DEL, C1 controls, format characters such
// as U+202E) written as a \uXXXX escape, and every invalid UTF-8 byte as
// \ufffd. Valid JSON stays valid and decodes to the same value (invalid
// bytes decode to U+FFFD either way): these characters can only occur
// inside strings. A raw control character other than tab, newline and
// carriage return, which no valid JSON holds, is escaped too. The result
// is b itself when nothing needed escaping.
func JSON(b []byte) []byte {
	i := jsonOK(b)
	if i == len(b) {
		return b
	}
	out := make([]byte, 0, len(b)+16)
	return appendJSON(append(out, b[:i]...), b[i:])
}

func appendJSON(dst, b []byte) []byte {
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7f {
				dst = appendJSONEscape(dst, rune(c))
			} else {
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, `\ufffd`...)
		case IsUnsafe(r):
			dst = appendJSONEscape(dst, r)
		default:
			dst = append(dst, b[i:i+size]...)
		}
		i += size
	}
	return dst
}

// appendJSONEscape writes r as \uXXXX, or as a surrogate pair beyond the
// Basic Multilingual Plane.
func appendJSONEscape(b []byte, r rune) []byte {
	if r > 0xffff {
		r1, r2 := utf16.EncodeRune(r)
		return appendJSONEscape(appendJSONEscape(b, r1), r2)
	}
	return append(b, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
}

// jsonOK returns the length of the prefix of b that JSON keeps unchanged.
func jsonOK(b []byte) int {
	for i := 0; i < len(b); {
		c := b[i]
		if c >= 0x20 && c < 0x7f || c == '\t' || c == '\n' || c == '\r' {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			return i
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 || IsUnsafe(r) {
			return i
		}
		i += size
	}
	return len(b)
}
