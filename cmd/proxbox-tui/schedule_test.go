package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// runMain runs one command line in-process and returns its exit status,
// stdout and stderr.
func runMain(t *testing.T, stdin string, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errOut, testEnv(env))
	return code, out.String(), errOut.String()
}

func TestScheduleNext(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		code    int
		out     string // exact stdout
		errHave string // stderr must start with this; "" means empty stderr
	}{
		{
			name: "count chains from the previous occurrence",
			args: []string{"*/15", "--from", "0", "--tz", "UTC", "--count", "3"},
			out:  "1970-01-01T00:15:00+00:00\n1970-01-01T00:30:00+00:00\n1970-01-01T00:45:00+00:00\n",
		},
		{
			name: "default count is one",
			args: []string{"daily", "--from", "0", "--tz", "UTC"},
			out:  "1970-01-02T00:00:00+00:00\n",
		},
		{
			name: "RFC 3339 start, printed with the offset of the zone across DST",
			args: []string{"21:00", "--from", "2024-03-30T19:00:00Z", "--tz", "Europe/Vienna", "--count", "2"},
			out:  "2024-03-30T21:00:00+01:00\n2024-03-31T21:00:00+02:00\n",
		},
		{
			name: "an occurrence at the start instant is not returned",
			args: []string{"21:00", "--from", "2024-01-10T21:00:00+00:00", "--tz", "UTC"},
			out:  "2024-01-11T21:00:00+00:00\n",
		},
		{
			name: "sub-second start is ignored",
			args: []string{"*:*:*", "--from", "2024-01-10T21:00:00.9Z", "--tz", "UTC"},
			out:  "2024-01-10T21:00:01+00:00\n",
		},
		{
			name: "spring-forward gap skips the day",
			args: []string{"2:30", "--from", "2024-03-30T12:00:00+01:00", "--tz", "Europe/Vienna"},
			out:  "2024-04-01T02:30:00+02:00\n",
		},
		{
			name: "UTC suffix evaluates in UTC, prints in the zone",
			args: []string{"mon..fri UTC", "--from", "2018-10-28T00:00:00+02:00", "--tz", "Europe/Vienna"},
			out:  "2018-10-29T01:00:00+01:00\n",
		},
		{
			name: "open-ended repetition skips the first value of the next cycle",
			args: []string{"*/7", "--from", "2024-01-01T00:57:00Z", "--tz", "UTC"},
			out:  "2024-01-01T01:07:00+00:00\n",
		},
		{
			name: "never once the occurrences run out",
			args: []string{"2100-02-28", "--from", "0", "--tz", "UTC", "--count", "5"},
			out:  "2100-02-28T00:00:00+00:00\nnever\n",
		},
		{
			name: "never at once",
			args: []string{"02-30", "--from", "0", "--tz", "UTC", "--count", "3"},
			out:  "never\n",
		},
		{name: "invalid EXPR", args: []string{"mon-fri", "--from", "0"}, code: 2, errHave: `invalid schedule "mon-fri": `},
		{name: "empty EXPR", args: []string{""}, code: 2, errHave: `invalid schedule "": `},
		{name: "value out of range", args: []string{"61"}, code: 2, errHave: `invalid schedule "61": `},
		{name: "keyword with more", args: []string{"daily 10:00"}, code: 2, errHave: `invalid schedule "daily 10:00": `},
		{name: "EXPR after --", args: []string{"--", "-01"}, code: 2, errHave: `invalid schedule "-01": `},
		{name: "bad --from", args: []string{"daily", "--from", "yesterday"}, code: 2, errHave: `invalid argument "yesterday" for "--from" flag: `},
		{name: "--from without offset", args: []string{"daily", "--from", "2024-01-01T00:00:00"}, code: 2, errHave: `invalid argument "2024-01-01T00:00:00" for "--from" flag: `},
		{name: "bad --tz", args: []string{"daily", "--tz", "Mars/Olympus"}, code: 2, errHave: `invalid argument "Mars/Olympus" for "--tz" flag: `},
		{name: "empty --tz", args: []string{"daily", "--tz="}, code: 2, errHave: `invalid argument "" for "--tz" flag: `},
		{name: "zero --count", args: []string{"daily", "--count", "0"}, code: 2, errHave: `invalid argument "0" for "--count" flag: `},
		{name: "negative --count", args: []string{"daily", "--count=-2"}, code: 2, errHave: `invalid argument "-2" for "--count" flag: `},
		{name: "non-numeric --count", args: []string{"daily", "--count", "many"}, code: 2, errHave: `invalid argument "many" for "--count" flag: `},
		{name: "unknown flag", args: []string{"daily", "--after", "0"}, code: 2, errHave: "unknown flag: --after"},
		{name: "no EXPR", args: nil, code: 2, errHave: "proxbox-tui schedule next: want exactly one EXPR"},
		{name: "unquoted EXPR", args: []string{"mon..fri", "22:00"}, code: 2, errHave: "proxbox-tui schedule next: want exactly one EXPR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runMain(t, "", nil, append([]string{"schedule", "next"}, tt.args...)...)
			if code != tt.code || out != tt.out {
				t.Errorf("exit %d, stdout %q; want exit %d, stdout %q (stderr %q)", code, out, tt.code, tt.out, errOut)
			}
			if tt.errHave == "" && errOut != "" || !strings.HasPrefix(errOut, tt.errHave) {
				t.Errorf("stderr %q, want it to start with %q", errOut, tt.errHave)
			}
		})
	}
}

func TestScheduleGroup(t *testing.T) {
	tests := []struct {
		args   []string
		code   int
		out    string // stdout must contain this
		errOut string // exact stderr
	}{
		{args: []string{"schedule"}, out: "Available Commands:\n  next "},
		{args: []string{"schedule", "last"}, code: 2, errOut: "unknown command \"last\" for \"proxbox-tui schedule\" (see --help)\n"},
		{args: []string{"schedule", "--verbose"}, code: 2, errOut: "unknown flag: --verbose\n"},
	}
	for _, tt := range tests {
		code, out, errOut := runMain(t, "", nil, tt.args...)
		if code != tt.code || !strings.Contains(out, tt.out) || errOut != tt.errOut {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit %d, stdout with %q, stderr %q", tt.args, code, out, errOut, tt.code, tt.out, tt.errOut)
		}
	}
}

func TestScheduleNextDefaultsToNow(t *testing.T) {
	before := time.Now()
	code, out, errOut := runMain(t, "", nil, "schedule", "next", "minutely", "--tz", "Asia/Kolkata", "--count", "2")
	after := time.Now()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if code != 0 || errOut != "" || len(lines) != 2 {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	first, err := time.Parse(time.RFC3339, lines[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, off := first.Zone(); off != 5*3600+1800 || !strings.HasSuffix(lines[0], ":00+05:30") {
		t.Errorf("%s is not in +05:30", lines[0])
	}
	if !first.After(before.Truncate(time.Second)) || first.After(after.Add(time.Minute)) {
		t.Errorf("first occurrence %s is not the next minute after now (%s)", first, before)
	}
	if want := first.Add(time.Minute).Format(rfc3339Offset); lines[1] != want {
		t.Errorf("second occurrence %s, want %s", lines[1], want)
	}
}

func TestScheduleHelp(t *testing.T) {
	for _, args := range [][]string{{"schedule", "next", "--help"}, {"prune", "--help"}} {
		code, out, errOut := runMain(t, "", nil, args...)
		if code != 0 || errOut != "" {
			t.Fatalf("%v: exit %d, stderr %q", args, code, errOut)
		}
		for _, want := range []string{"Exit status:", "Examples:\n  # ", "Flags:", "--tz ZONE"} {
			if !strings.Contains(out, want) {
				t.Errorf("%v: help lacks %q:\n%s", args, want, out)
			}
		}
	}
}

// TestBuiltBinary builds the command once and drives it as a user would,
// over the shared calendar and prune vectors.
func TestBuiltBinary(t *testing.T) {
	bin := buildBinary(t)
	t.Run("schedule next vectors", func(t *testing.T) { testScheduleVectors(t, bin) })
	t.Run("schedule next chains", func(t *testing.T) { testScheduleChains(t, bin) })
	t.Run("schedule next in the local zone", func(t *testing.T) { testScheduleLocalZone(t, bin) })
	t.Run("prune vectors", func(t *testing.T) { testPruneVectors(t, bin) })
}

// buildBinary compiles this command into a temporary directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go tool not found: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "proxbox-tui")
	out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// execBinary runs the built binary and returns its exit status and output.
// env entries are added to this process's environment.
func execBinary(t *testing.T, bin, stdin string, env []string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return 0, out.String(), errOut.String()
	case errors.As(err, &exitErr):
		return exitErr.ExitCode(), out.String(), errOut.String()
	}
	t.Fatalf("%s %q: %v", bin, args, err)
	return 0, "", ""
}

// calendarVectorsFile is the calendar package's copy of the shared vectors.
// Columns: expression, start epoch, expected next instant (RFC 3339 in the
// row's zone, ERROR or NEVER), zone, note.
const calendarVectorsFile = "../../proxmox/calendar/testdata/calendar_vectors.tsv"

type calendarRow struct {
	line                 int
	expr, want, tz, note string
	start                int64
}

func loadCalendarRows(t *testing.T) []calendarRow {
	t.Helper()
	f, err := os.Open(calendarVectorsFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []calendarRow
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		if line == 1 {
			continue
		}
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) != 5 {
			t.Fatalf("line %d: %d columns, want 5", line, len(cols))
		}
		start, err := strconv.ParseInt(cols[1], 10, 64)
		if err != nil {
			t.Fatalf("line %d: start: %v", line, err)
		}
		rows = append(rows, calendarRow{line: line, expr: cols[0], start: start, want: cols[2], tz: cols[3], note: cols[4]})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(rows) < 100 {
		t.Fatalf("only %d calendar vectors", len(rows))
	}
	return rows
}

// nonReproducible lists, by line, calendar rows whose expected value Proxmox
// produced through glibc state the specification does not reproduce; for
// them only a later-than-start occurrence is required. The reference tags
// such rows NON-MONOTONIC (Proxmox answering with a time before the start);
// none of the rows shipped here carries the tag.
func nonReproducible() map[int]string { return map[int]string{} }

func testScheduleVectors(t *testing.T, bin string) {
	skipped := nonReproducible()
	checked := 0
	for i, r := range loadCalendarRows(t) {
		tagged := strings.Contains(r.note, "NON-MONOTONIC")
		if _, listed := skipped[r.line]; tagged != listed {
			t.Errorf("line %d: tagged NON-MONOTONIC %v, listed as non-reproducible %v", r.line, tagged, listed)
		}
		if i%7 != 0 && r.want != "ERROR" && r.want != "NEVER" {
			continue
		}
		checked++
		t.Run("line"+strconv.Itoa(r.line), func(t *testing.T) {
			t.Parallel()
			code, out, errOut := execBinary(t, bin, "", nil, "schedule", "next", "--from", strconv.FormatInt(r.start, 10), "--tz", r.tz, "--", r.expr)
			switch {
			case r.want == "ERROR":
				if code != 2 || out != "" || !strings.HasPrefix(errOut, "invalid schedule ") {
					t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 2 and \"invalid schedule ...\"", r.expr, code, out, errOut)
				}
			case tagged:
				got, err := time.Parse(time.RFC3339, strings.TrimSpace(out))
				if code != 0 || err != nil || got.Unix() <= r.start {
					t.Errorf("%q: exit %d, stdout %q; want an occurrence after %d (%s)", r.expr, code, out, r.start, skipped[r.line])
				}
			default:
				want := r.want
				if want == "NEVER" {
					want = "never"
				}
				if code != 0 || out != want+"\n" || errOut != "" {
					t.Errorf("%q from %d in %s: exit %d, stdout %q, stderr %q; want %s (%s)", r.expr, r.start, r.tz, code, out, errOut, r.want, r.note)
				}
			}
		})
	}
	t.Logf("%d calendar rows checked through the binary", checked)
}

// testScheduleChains runs --count over runs of rows where each row starts at
// the previous row's result, and expects the whole run in one call.
func testScheduleChains(t *testing.T, bin string) {
	rows := loadCalendarRows(t)
	continues := func(prev, r calendarRow) bool {
		if r.expr != prev.expr || r.tz != prev.tz {
			return false
		}
		at, err := time.Parse(time.RFC3339, prev.want)
		return err == nil && at.Unix() == r.start
	}
	var chains [][]calendarRow
	for i := 0; i < len(rows); {
		j := i + 1
		for j < len(rows) && continues(rows[j-1], rows[j]) {
			j++
		}
		if j-i >= 3 {
			chains = append(chains, rows[i:j])
		}
		i = j
	}
	checked := 0
	for k, chain := range chains {
		// Every chain in a named zone (they cross DST changes), a sample of
		// the many UTC ones.
		first, last := chain[0], chain[len(chain)-1]
		if first.tz == "UTC" && k%4 != 0 {
			continue
		}
		checked++
		var want strings.Builder
		for _, r := range chain {
			want.WriteString(r.want + "\n")
		}
		t.Run(fmt.Sprintf("lines%d-%d", first.line, last.line), func(t *testing.T) {
			t.Parallel()
			code, out, errOut := execBinary(t, bin, "", nil, "schedule", "next", "--from", strconv.FormatInt(first.start, 10),
				"--tz", first.tz, "--count", strconv.Itoa(len(chain)), "--", first.expr)
			if code != 0 || out != want.String() {
				t.Errorf("%q: exit %d, stderr %q, stdout\n%s\nwant\n%s", first.expr, code, errOut, out, want.String())
			}
		})
	}
	if checked < 10 {
		t.Errorf("only %d chains of 3 or more rows checked", checked)
	}
	t.Logf("%d of %d chains checked", checked, len(chains))
}

// testScheduleLocalZone runs the rows of named zones without --tz, with the
// zone set through TZ as on a node.
func testScheduleLocalZone(t *testing.T, bin string) {
	checked := 0
	for i, r := range loadCalendarRows(t) {
		if r.tz == "UTC" || r.want == "ERROR" || r.want == "NEVER" || i%2 != 0 {
			continue
		}
		checked++
		t.Run("line"+strconv.Itoa(r.line), func(t *testing.T) {
			t.Parallel()
			code, out, errOut := execBinary(t, bin, "", []string{"TZ=" + r.tz}, "schedule", "next", "--from", strconv.FormatInt(r.start, 10), "--", r.expr)
			if code != 0 || out != r.want+"\n" {
				t.Errorf("%q from %d with TZ=%s: exit %d, stdout %q, stderr %q; want %s", r.expr, r.start, r.tz, code, out, errOut, r.want)
			}
		})
	}
	if checked < 10 {
		t.Errorf("only %d rows in named zones checked", checked)
	}
}
