package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/proxbox-tui/proxbox-tui/proxmox/pvesim"
	"github.com/proxbox-tui/proxbox-tui/textsafe"
)

// What a hostile or broken Proxmox puts into names, notes and messages.
const (
	hostileOSC0   = "\x1b]0;pwned\x07"
	hostileClear  = "\x1b[2J"
	hostileOSC52  = "\x1b]52;c;cm0gLXJmIH4K\x07"
	hostileC1     = "\u009b2J"
	hostileBidi   = "\u202e"
	hostileErrMsg = "boom" + hostileOSC0 + hostileClear + hostileC1 + hostileBidi + "\a\b\r"
)

// hostileEnv serves the demo's edge estate, made hostile: names and notes
// with escape sequences, C1 controls, bidi overrides and control
// characters, bytes that are not UTF-8 and numbers out of any range (the
// simulator cannot send those: a rewriting layer in front of it does), and
// one snapshot listing that fails with a message full of escapes.
type hostileEnv struct {
	demoEnv
	ctime1e30 string // volid of the backup whose ctime is 1e30
	badNotes  string // volid of the backup whose notes hold invalid bytes
	osc52     string // volid of the backup whose notes write the clipboard
}

// Markers the rewriting layer replaces on the wire.
var hostileWire = []struct{ marker, wire string }{
	{`"MARKBAD1"`, "\"nvr\xff\xfe\""},
	{"MARKBAD2", "bad\xff\xfe notes"},
	{"MARKBAD3", "weekly\xc3\x28"},
	{"1234567891", "1e30"}, // a backup's ctime
	{"1234567892", "1e30"}, // a guest's uptime
	{"1234567893", "1e30"}, // a task's start time
}

func startHostileEnv(t *testing.T) *hostileEnv {
	t.Helper()
	at := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	edge := pvesim.Demo(pvesim.GenerateOptions{Seed: 4, Now: func() time.Time { return at }})[1]
	e := &hostileEnv{}
	edge.Update(func(tr *pvesim.Truth) {
		for _, g := range tr.Guests {
			switch g.VMID {
			case 100:
				g.Name = "opn" + hostileOSC0 + hostileClear + hostileBidi
			case 101:
				g.Name = "MARKBAD1"
			case 102:
				g.Uptime = 1234567892
			}
		}
		b := tr.Backups
		b[0].Notes = "note" + hostileOSC52 + " cr\r bs\b\nsecond line" // the listing has the first line
		b[1].Notes = "rtl" + hostileBidi + "exe.txt " + hostileC1 + "\u2066"
		b[2].CTime = 1234567891
		b[3].Notes = "MARKBAD2"
		e.osc52, e.badNotes, e.ctime1e30 = b[0].VolID, b[3].VolID, b[2].VolID
		tr.BackupJobs[0].Comment = "MARKBAD3" + hostileClear
		tr.Tasks[0].StartTime = 1234567893
		tr.Tasks[1].Status = "ERROR: " + hostileErrMsg
	})
	sim, err := pvesim.New(pvesim.Options{Estate: edge})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/qemu/100/snapshot") {
			body, _ := json.Marshal(map[string]any{"data": nil, "message": hostileErrMsg})
			w.WriteHeader(http.StatusInternalServerError)
			w.Write(body)
			return
		}
		rec := httptest.NewRecorder()
		sim.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		for _, m := range hostileWire {
			body = bytes.ReplaceAll(body, []byte(m.marker), []byte(m.wire))
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		w.WriteHeader(rec.Code)
		w.Write(body)
	}))
	t.Cleanup(srv.Close)

	dir := t.TempDir()
	e.demoEnv = demoEnv{dir: dir, config: filepath.Join(dir, "config.yaml"), cache: filepath.Join(dir, "cache.db"),
		env: map[string]string{"HOME": dir, "EDGE_TOKEN": pvesim.TUITokenSecret}}
	cfg := fmt.Sprintf(`proxmox:
  - name: edge
    url: %s
    token_id: "%s"
    token_secret_env: EDGE_TOKEN
    tls: {insecure: true}
`, srv.URL, pvesim.TUITokenID)
	if err := os.WriteFile(e.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return e
}

// checkTerminalSafe fails when out holds anything a terminal would act on:
// invalid UTF-8, a control character other than newline (and tab where
// allowed), DEL, C1 controls, bidi or other format characters.
func checkTerminalSafe(t *testing.T, what, out string, allowTab bool) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Errorf("%s: not valid UTF-8: %q", what, out)
		return
	}
	for i, r := range out {
		if r == '\n' || r == '\t' && allowTab {
			continue
		}
		if textsafe.IsUnsafe(r) {
			t.Errorf("%s: raw %U at byte %d: %q", what, r, i, out[max(0, i-40):min(len(out), i+40)])
			return
		}
	}
}

func TestHostileStringsAreSafeInRefreshAndExport(t *testing.T) {
	e := startHostileEnv(t)
	code, out, errOut := e.run(t, "refresh")
	if code != 1 {
		t.Fatalf("refresh with a failed scope: exit %d\n%s\n%s", code, out, errOut)
	}
	checkTerminalSafe(t, "refresh", out+errOut, false)
	if !strings.Contains(out, ": 500 boom�]0;pwned��[2J�2J���\n") {
		t.Errorf("refresh does not show the message as replaced text:\n%s", out)
	}

	for _, c := range []struct {
		kind  string
		check func(t *testing.T, recs []map[string]any)
	}{
		{"guests", func(t *testing.T, recs []map[string]any) {
			names := map[float64]any{}
			for _, r := range recs {
				names[r["vmid"].(float64)] = r["name"]
			}
			if names[100] != "opn"+hostileOSC0+hostileClear+hostileBidi {
				t.Errorf("guest 100's name not kept: %q", names[100])
			}
			if names[101] != "nvr\uFFFD\uFFFD" {
				t.Errorf("invalid bytes in a name: %q, want each as U+FFFD", names[101])
			}
		}},
		{"backups", func(t *testing.T, recs []map[string]any) {
			byVolid := map[string]map[string]any{}
			for _, r := range recs {
				byVolid[r["volume_id"].(string)] = r
			}
			if got := byVolid[e.ctime1e30]["creation_time"]; got != "invalid" {
				t.Errorf("ctime 1e30: creation_time %v, want \"invalid\"", got)
			}
			if got := byVolid[e.osc52]["notes"]; got != "note"+hostileOSC52+" cr\r bs\b" {
				t.Errorf("notes not kept: %q", got)
			}
			if got := byVolid[e.badNotes]["notes"]; got != "bad\uFFFD\uFFFD notes" {
				t.Errorf("notes with invalid bytes: %q", got)
			}
		}},
		{"routines", func(t *testing.T, recs []map[string]any) {
			raw, _ := recs[0]["raw_config"].(map[string]any)
			if got := raw["comment"]; got != "weekly\uFFFD("+hostileClear {
				t.Errorf("raw_config comment: %q", got)
			}
		}},
		{"tasks", func(t *testing.T, recs []map[string]any) {
			invalid := 0
			for _, r := range recs {
				if r["start_time"] == "invalid" {
					invalid++
				}
			}
			if invalid != 1 {
				t.Errorf("%d tasks with an invalid start time, want 1", invalid)
			}
		}},
		{"endpoints", nil},
		{"syncruns", nil},
	} {
		t.Run(c.kind, func(t *testing.T) {
			code, out, errOut := e.run(t, "export", c.kind)
			if code != 0 {
				t.Fatalf("export %s: exit %d: %s", c.kind, code, errOut)
			}
			checkTerminalSafe(t, "export "+c.kind, out, false)
			var recs []map[string]any
			if err := json.Unmarshal([]byte(out), &recs); err != nil || len(recs) == 0 {
				t.Fatalf("export %s: %d records, %v\n%.400s", c.kind, len(recs), err, out)
			}
			if c.check != nil {
				c.check(t, recs)
			}
		})
	}

	code, out, errOut = e.run(t, "export", "backups", "--format", "csv")
	if code != 0 {
		t.Fatalf("export csv: exit %d: %s", code, errOut)
	}
	checkTerminalSafe(t, "export csv", out, false)
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	cells := map[string][]string{}
	for _, r := range rows[1:] {
		cells[r[col["volume_id"]]] = r
	}
	for _, c := range []struct{ volid, field, want string }{
		{e.osc52, "notes", `note\x1b]52;c;cm0gLXJmIH4K\a cr\r bs\b`},
		{e.badNotes, "notes", "bad\uFFFD\uFFFD notes"},
		{e.ctime1e30, "creation_time", "invalid"},
	} {
		if got := cells[c.volid][col[c.field]]; got != c.want {
			t.Errorf("csv %s of %s: %q, want %q", c.field, c.volid, got, c.want)
		}
	}
	if len(rows)-1 != len(cells) || len(cells) < 20 {
		t.Errorf("csv has %d rows", len(rows)-1)
	}

	code, out, errOut = e.run(t, "export", "guests", "--format", "csv")
	if code != 0 {
		t.Fatalf("export guests csv: exit %d: %s", code, errOut)
	}
	checkTerminalSafe(t, "export guests csv", out, false)
	if !strings.Contains(out, `opn\x1b]0;pwned\a\x1b[2J\u202e`) {
		t.Errorf("guest name in csv:\n%s", out)
	}
}

func TestHostileStringsAreSafeInDoctor(t *testing.T) {
	e := startHostileEnv(t)
	if code, out, errOut := e.run(t, "refresh"); code != 1 {
		t.Fatalf("refresh: exit %d\n%s\n%s", code, out, errOut)
	}
	_, out, errOut := e.run(t, "doctor")
	checkTerminalSafe(t, "doctor", out+errOut, false)
	if !strings.Contains(out, "boom�]0;pwned") {
		t.Errorf("doctor does not report the failed scope:\n%s", out)
	}
}

func TestLogEscapesWhatTerminalsInterpret(t *testing.T) {
	for _, s := range []string{hostileErrMsg, hostileOSC52, "rtl" + hostileBidi + "\u2066", "bad\xff\xfe", "del\x7f nel\u0085"} {
		dir := t.TempDir()
		log, closeLog, err := openLog(dir)
		if err != nil {
			t.Fatal(err)
		}
		log.Error("push", "err", fmt.Errorf("endpoint edge: %s", s), "job", s)
		closeLog()
		data, err := os.ReadFile(filepath.Join(dir, "proxbox-tui.log"))
		if err != nil {
			t.Fatal(err)
		}
		checkTerminalSafe(t, "log", string(data), false)
		var line map[string]any
		if err := json.Unmarshal(data, &line); err != nil {
			t.Fatalf("log line %q: %v", data, err)
		}
		// The value is kept; an invalid byte reads back as U+FFFD, as from
		// any JSON encoder.
		if want := strings.ReplaceAll(s, "\xff\xfe", "\uFFFD\uFFFD"); line["job"] != want {
			t.Errorf("log keeps %q as %q", s, line["job"])
		}
	}
}

func TestHostileVolidsInPrune(t *testing.T) {
	volids := []string{
		"nfs:backup/vzdump-qemu-100-2026_11_27-21_00_02.vma.zst" + hostileOSC52,
		"nfs:backup/" + hostileClear + hostileC1 + "x\tvzdump" + hostileBidi + "\u2066",
	}
	var in []map[string]any
	for i, v := range volids {
		in = append(in, map[string]any{"volid": v, "ctime": 1795813202 - i*86400, "vmid": 100, "type": "qemu", "protected": false})
	}
	input, _ := json.Marshal(in)
	for _, c := range []struct {
		format string
		want   []string
	}{
		{"text", []string{"zst�]52;c;cm0gLXJmIH4K�  ", "nfs:backup/�[2J�2Jx vzdump��  "}},
		{"json", []string{`"volid": "nfs:backup/vzdump-qemu-100-2026_11_27-21_00_02.vma.zst\u001b]52;c;cm0gLXJmIH4K\u0007"`,
			`"volid": "nfs:backup/\u001b[2J\u009b2Jx\tvzdump\u202e\u2066"`}},
	} {
		var out, errOut bytes.Buffer
		code := run([]string{"prune", "--keep-last", "1", "--tz", "UTC", "--format", c.format}, bytes.NewReader(input), &out, &errOut,
			testEnv(map[string]string{"HOME": t.TempDir()}))
		if code != 0 {
			t.Fatalf("prune --format %s: exit %d: %s", c.format, code, errOut.String())
		}
		checkTerminalSafe(t, "prune "+c.format, out.String(), false)
		for _, w := range c.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("prune --format %s lacks %q:\n%s", c.format, w, out.String())
			}
		}
	}
}
