package calendar

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the vectors need zones that CI machines may lack
)

// vectorsFile holds Proxmox's own test cases plus cases computed with the
// real proxmox-time crate. Columns: expression, start epoch, expected next
// instant (RFC 3339 in the row's zone, or ERROR / NEVER), zone, note.
const vectorsFile = "testdata/calendar_vectors.tsv"

type vector struct {
	line  int
	expr  string
	start int64
	want  string
	tz    string
	note  string
}

func loadVectors(tb testing.TB) []vector {
	tb.Helper()
	f, err := os.Open(vectorsFile)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()

	var vs []vector
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		if line == 1 {
			continue // header
		}
		// Expressions may carry meaningful leading or trailing blanks.
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) != 5 {
			tb.Fatalf("%s:%d: want 5 tab-separated columns, got %d", vectorsFile, line, len(cols))
		}
		start, err := strconv.ParseInt(cols[1], 10, 64)
		if err != nil {
			tb.Fatalf("%s:%d: start: %v", vectorsFile, line, err)
		}
		vs = append(vs, vector{line: line, expr: cols[0], start: start, want: cols[2], tz: cols[3], note: cols[4]})
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	if len(vs) == 0 {
		tb.Fatalf("%s: no vectors", vectorsFile)
	}
	return vs
}

func TestVectors(t *testing.T) {
	zones := map[string]*time.Location{}
	passed := 0
	for _, v := range loadVectors(t) {
		ok := t.Run("line"+strconv.Itoa(v.line), func(t *testing.T) {
			loc, found := zones[v.tz]
			if !found {
				var err error
				if loc, err = time.LoadLocation(v.tz); err != nil {
					t.Fatalf("line %d %q: zone: %v", v.line, v.expr, err)
				}
				zones[v.tz] = loc
			}
			checkVector(t, v, loc)
		})
		if ok {
			passed++
		}
	}
	t.Logf("%d vector rows passed", passed)
}

func checkVector(t *testing.T, v vector, loc *time.Location) {
	t.Helper()
	ev, err := Parse(v.expr)
	if v.want == "ERROR" {
		if err == nil {
			t.Errorf("line %d %q: parsed, want an error (%s)", v.line, v.expr, v.note)
		}
		return
	}
	if err != nil {
		t.Fatalf("line %d %q: %v (%s)", v.line, v.expr, err, v.note)
	}

	after := time.Unix(v.start, 0)
	got, ok := ev.Next(after, loc)
	if v.want == "NEVER" {
		if ok {
			t.Errorf("line %d %q from %d in %s: got %s, want none (%s)", v.line, v.expr, v.start, v.tz, got.Format(time.RFC3339), v.note)
		}
		return
	}

	want, err := time.Parse(time.RFC3339, v.want)
	if err != nil {
		t.Fatalf("line %d: bad expected time %q: %v", v.line, v.want, err)
	}
	_, gotOff := got.Zone()
	_, wantOff := want.Zone()
	if !ok || !got.Equal(want) || gotOff != wantOff {
		t.Errorf("line %d %q from %s in %s: got %s (ok=%v), want %s (%s)",
			v.line, v.expr, after.In(loc).Format(time.RFC3339), v.tz, got.Format(time.RFC3339), ok, v.want, v.note)
	}
}
