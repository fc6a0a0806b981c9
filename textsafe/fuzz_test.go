package textsafe

import (
	"bytes"
	"encoding/json"
	"io"
	"reflect"
	"testing"
	"unicode/utf8"
)

// checkSafe fails when out could do anything on a terminal but show text:
// invalid UTF-8, a byte below 0x20 not in allowed, DEL, a C1 control or
// another unsafe character.
func checkSafe(t *testing.T, out, allowed string) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Fatalf("not valid UTF-8: %q", out)
	}
	for _, r := range out {
		if r < 0x20 && bytes.IndexByte([]byte(allowed), byte(r)) >= 0 {
			continue
		}
		if r == 0x7f || r >= 0x80 && r <= 0x9f || IsUnsafe(r) {
			t.Fatalf("unsafe %U in %q", r, out)
		}
	}
}

var fuzzSeeds = []string{
	"", "plain", "Grüße 日本 🏴󠁧󠁢󠁳󠁣󠁴󠁿", "500 boom" + osc0Title + clearScreen, "note" + osc52Clip, c1CSI, "\a\b\r\n\t\x7f",
	bidi, isolate, tagChars, invalid, "cut\xe2\x82", "\xed\xa0\x80 surrogate", "\xc0\xaf overlong",
	`{"name":"` + bidi + `","n":[1,2.5,null,true]}`, "[\"\\u001b\", \"\xc2\x9b\"]\r\n",
}

// FuzzSanitizers checks every function on any input: the output is valid
// UTF-8 without unsafe characters; Line and Text are idempotent; a safe
// input is returned as it is; JSON keeps valid JSON valid and its value
// the same; the writers give the same text however the input is split.
func FuzzSanitizers(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s, uint(len(s)/2))
	}
	f.Fuzz(func(t *testing.T, s string, cut uint) {
		line := Line(s)
		checkSafe(t, line, "")
		if Line(line) != line {
			t.Fatalf("Line is not idempotent on %q", s)
		}
		text := Text(s)
		checkSafe(t, text, "\t\n")
		if Text(text) != text {
			t.Fatalf("Text is not idempotent on %q", s)
		}
		checkSafe(t, Escape(s), "\t\n")
		if lineOK(s) && line != s || textOK(s) && (text != s || Escape(s) != s) {
			t.Fatalf("a safe input was changed: %q", s)
		}

		j := JSON([]byte(s))
		checkSafe(t, string(j), "\t\n\r")
		if json.Valid([]byte(s)) {
			var before, after any
			if err := json.Unmarshal([]byte(s), &before); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(j, &after); err != nil {
				t.Fatalf("JSON(%q) = %q: %v", s, j, err)
			}
			if !reflect.DeepEqual(before, after) {
				t.Fatalf("JSON(%q) changed the value: %v, %v", s, before, after)
			}
		}

		i := int(cut % uint(len(s)+1))
		for _, mk := range []func(io.Writer) io.Writer{NewWriter, NewJSONWriter} {
			if whole, split := writeAll(mk, s, len(s)), writeAll(mk, s, i); !bytes.Equal(whole, split) {
				t.Fatalf("split at %d of %q: %q, whole %q", i, s, split, whole)
			}
		}
		held := heldBack([]byte(s), true)
		if got := writeAll(NewWriter, s, len(s)); string(got) != Text(s[:len(s)-held]) {
			t.Fatalf("NewWriter(%q) = %q, Text %q", s, got, Text(s[:len(s)-held]))
		}
	})
}

// writeAll writes s in two writes, cut at byte cut.
func writeAll(mk func(io.Writer) io.Writer, s string, cut int) []byte {
	var b bytes.Buffer
	w := mk(&b)
	w.Write([]byte(s[:cut]))
	w.Write([]byte(s[cut:]))
	return b.Bytes()
}
