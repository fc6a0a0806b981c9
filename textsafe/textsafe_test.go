package textsafe

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"testing"
)

// The hostile strings of the test tables: what Proxmox, NetBox or a client
// may send in a name, a note or an error message.
const (
	clearScreen = "\x1b[2J"
	osc0Title   = "\x1b]0;pwned\x07"
	osc52Clip   = "\x1b]52;c;cm0gLXJmIH4K\x07"
	c1CSI       = "\u009b31m"
	bidi        = "evil\u202etxt.exe"
	isolate     = "a\u2066b\u2069c"
	tagChars    = "x\U000E0041\U000E0042y"
	invalid     = "bad\xff\xfe"
)

func TestLine(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"plain name", "plain name"},
		{"Grüße, 日本", "Grüße, 日本"},
		{"500 boom" + osc0Title + clearScreen, "500 boom�]0;pwned��[2J"},
		{"note" + osc52Clip, "note�]52;c;cm0gLXJmIH4K�"},
		{"red" + c1CSI, "red�31m"},
		{"bell\a back\bspace del\x7f", "bell� back�space del�"},
		{"spoof\rok", "spoof ok"},
		{"a\tb\r\n\nc", "a b c"},
		{bidi, "evil�txt.exe"},
		{isolate, "a�b�c"},
		{tagChars, "x��y"},
		{"zw\u200bsp\ufeff", "zw�sp�"},
		{"ls\u2028ps\u2029", "ls�ps�"},
		{invalid, "bad��"},
		{"cut\xe2\x82", "cut��"},
		{"soft\u00adhyphen", "soft�hyphen"},
		{"\u0085nel", "�nel"},
	} {
		if got := Line(c.in); got != c.want {
			t.Errorf("Line(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestText(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"two\nlines\tand a tab", "two\nlines\tand a tab"},
		{"crlf\r\nline", "crlf\nline"},
		{"spoof\rok", "spoof�ok"},
		{"end\r", "end�"},
		{"err" + clearScreen + "\n" + osc52Clip, "err�[2J\n�]52;c;cm0gLXJmIH4K�"},
		{c1CSI + bidi + invalid, "�31mevil�txt.exebad��"},
	} {
		if got := Text(c.in); got != c.want {
			t.Errorf("Text(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestEscape(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"plain, \"quoted\"", "plain, \"quoted\""},
		{"multi\nline\tnote", "multi\nline\tnote"},
		{"note" + osc52Clip, `note\x1b]52;c;cm0gLXJmIH4K\a`},
		{"x" + clearScreen, `x\x1b[2J`},
		{"bs\b cr\r ff\f vt\v nul\x00 del\x7f", `bs\b cr\r ff\f vt\v nul\x00 del\x7f`},
		{c1CSI, `\u009b31m`},
		{bidi, `evil\u202etxt.exe`},
		{tagChars, `x\U000e0041\U000e0042y`},
		{invalid, "bad��"},
	} {
		if got := Escape(c.in); got != c.want {
			t.Errorf("Escape(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestJSON(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"name":"plain"}`, `{"name":"plain"}`},
		{"[\n  {\"a\": 1},\r\n\t2\n]", "[\n  {\"a\": 1},\r\n\t2\n]"},
		{`{"n":"` + "\u009b31m\x7f" + `"}`, `{"n":"\u009b31m\u007f"}`},
		{`{"n":"` + bidi + `"}`, `{"n":"evil\u202etxt.exe"}`},
		{`{"n":"` + tagChars + `"}`, `{"n":"x\udb40\udc41\udb40\udc42y"}`},
		{`{"n":"` + invalid + `"}`, `{"n":"bad\ufffd\ufffd"}`},
		{`{"n":"` + "\x1b" + `"}`, `{"n":"\u001b"}`}, // not JSON, made safe all the same
	} {
		got := JSON([]byte(c.in))
		if string(got) != c.want {
			t.Errorf("JSON(%q) = %q, want %q", c.in, got, c.want)
		}
		if json.Valid([]byte(c.in)) && !json.Valid(got) {
			t.Errorf("JSON(%q) is no longer valid: %q", c.in, got)
		}
	}
}

// The standard encoders leave DEL, C1 controls and format characters raw;
// through JSON and NewJSONWriter they are escaped and decode to the same
// value.
func TestEncodersThroughJSON(t *testing.T) {
	hostile := "n" + clearScreen + osc52Clip + c1CSI + "\x7f" + bidi + isolate + "\u2028" + invalid
	want := decodeStd(t, hostile)

	raw, err := json.Marshal(map[string]string{"name": hostile})
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	slog.New(slog.NewJSONHandler(NewJSONWriter(&log), nil)).Info(hostile, "name", hostile, "err", errors.New(hostile))

	for _, out := range [][]byte{JSON(raw), log.Bytes()} {
		checkSafe(t, string(out), "\t\n\r")
		dec := json.NewDecoder(bytes.NewReader(out))
		for dec.More() {
			var m map[string]any
			if err := dec.Decode(&m); err != nil {
				t.Fatalf("%q: %v", out, err)
			}
			for _, k := range []string{"name", "msg", "err"} {
				if v, ok := m[k]; ok && v != want {
					t.Errorf("%s: %q, want %q", k, v, want)
				}
			}
		}
	}
}

// decodeStd is what a JSON decoder reads back from encoding/json's output
// for s: invalid bytes become U+FFFD, one per byte.
func decodeStd(t *testing.T, s string) string {
	t.Helper()
	raw, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back string
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	return back
}

func TestWriterKeepsCharactersSplitAcrossWrites(t *testing.T) {
	for _, c := range []struct {
		name   string
		json   bool
		chunks []string
		want   string
	}{
		{"split rune", false, []string{"gr\xc3", "\xbc\xc3\x9fe\n"}, "grüße\n"},
		{"split CRLF", false, []string{"line\r", "\nnext\r", "x\n"}, "line\nnext�x\n"},
		{"split C1", false, []string{"a\xc2", "\x9bb\n"}, "a�b\n"},
		{"escape split from its sequence", false, []string{"a\x1b", "[2J\n"}, "a�[2J\n"},
		{"split bidi", true, []string{"{\"n\":\"\xe2\x80", "\xae\"}\n"}, `{"n":"\u202e"}` + "\n"},
		{"invalid byte, not a prefix", true, []string{"{\"n\":\"\xff", "\"}\n"}, `{"n":"\ufffd"}` + "\n"},
	} {
		var out bytes.Buffer
		w := NewWriter(&out)
		if c.json {
			w = NewJSONWriter(&out)
		}
		for _, ch := range c.chunks {
			if n, err := w.Write([]byte(ch)); err != nil || n != len(ch) {
				t.Fatalf("%s: Write = %d, %v", c.name, n, err)
			}
		}
		if out.String() != c.want {
			t.Errorf("%s: %q, want %q", c.name, out.String(), c.want)
		}
	}
}

func TestUnchangedStringsAreNotCopied(t *testing.T) {
	b := []byte(`{"name":"Grüße"}`)
	if got := JSON(b); &got[0] != &b[0] {
		t.Error("JSON copied a safe input")
	}
	if allocs := testing.AllocsPerRun(100, func() { _ = Line("pve1 · Grüße") }); allocs != 0 {
		t.Errorf("Line allocates %v times for a safe string", allocs)
	}
}
