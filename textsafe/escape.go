package textsafe

import (
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// Escape returns s for a CSV cell: newlines and tabs stay (the CSV writer
// quotes the cell), every other unsafe character is written as a Go escape
// (\a \b \f \r \v, \x1b for the other C0 controls and DEL, \u009b for C1,
// \u202e or \U000e0041 for format characters), and each invalid byte
// becomes U+FFFD. Backslashes are not doubled: a cell reading \x1b may
// also have held those four characters; the JSON export is exact.
func Escape(s string) string {
	if escapeOK(s) {
		return s
	}
	b := make([]byte, 0, len(s)+16)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\n' || r == '\t':
			b = append(b, byte(r))
		case r == utf8.RuneError && size == 1:
			b = append(b, Replacement...)
		case IsUnsafe(r):
			b = appendGoEscape(b, r)
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return string(b)
}

func appendGoEscape(b []byte, r rune) []byte {
	switch r {
	case '\a':
		return append(b, `\a`...)
	case '\b':
		return append(b, `\b`...)
	case '\f':
		return append(b, `\f`...)
	case '\r':
		return append(b, `\r`...)
	case '\v':
		return append(b, `\v`...)
	}
	switch {
	case r < utf8.RuneSelf:
		return append(b, '\\', 'x', hexDigits[r>>4], hexDigits[r&0xf])
	case r <= 0xffff:
		return append(b, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
	}
	b = append(b, '\\', 'U')
	for shift := 28; shift >= 0; shift -= 4 {
		b = append(b, hexDigits[r>>shift&0xf])
	}
	return b
}

// escapeOK reports whether Escape would return s unchanged.
func escapeOK(s string) bool { return textOK(s) }
