package dataset

import (
	"bytes"
	"runtime"
	"strings"
	"sync"
	"unicode/utf8"
)

// Query is a parsed filter: every token must hold (AND). A token is a
// substring of the whole row, or field:value (a substring of one column),
// either negated with a leading "!". Matching ignores case. A field name
// that is no column's is read as plain text, so "local:backup" finds
// volume IDs.
type Query struct {
	Raw    string
	tokens []token
}

type token struct {
	col    int    // -1: anywhere in the row
	value  string // lower-cased
	needle []byte // value, for scanning the dataset's hay
	neg    bool
}

func (q Query) Empty() bool { return len(q.tokens) == 0 }

// ParseQuery reads a filter against the columns it will be matched to.
// Double quotes group words: name:"my vm".
func ParseQuery(raw string, cols []Column) Query {
	q := Query{Raw: raw}
	for _, word := range splitWords(raw) {
		t := token{col: -1}
		if strings.HasPrefix(word, "!") {
			t.neg, word = true, word[1:]
		}
		if name, value, ok := strings.Cut(word, ":"); ok && name != "" {
			if c := fieldColumn(name, cols); c >= 0 {
				t.col, word = c, value
			}
		}
		word = strings.ToLower(strings.Trim(word, `"`))
		if word == "" {
			continue // still being typed ("node:", "!"): no constraint yet
		}
		t.value, t.needle = word, []byte(word)
		q.tokens = append(q.tokens, t)
	}
	return q
}

func splitWords(s string) []string {
	var out []string
	var cur strings.Builder
	quoted := false
	for _, r := range s {
		switch {
		case r == '"':
			quoted = !quoted
		case (r == ' ' || r == '\t') && !quoted:
			if cur.Len() > 0 {
				out = append(out, cur.String())
				cur.Reset()
			}
			continue
		}
		if r != '"' {
			cur.WriteRune(r)
		}
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

func fieldColumn(name string, cols []Column) int {
	name = strings.ToLower(name)
	for i, c := range cols {
		if c.Field() == name {
			return i
		}
		for _, a := range c.Aliases {
			if a == name {
				return i
			}
		}
	}
	return -1
}

// Fields lists the field names a filter accepts for these columns.
func Fields(cols []Column) []string {
	out := make([]string, 0, len(cols))
	for _, c := range cols {
		out = append(out, c.Field())
	}
	return out
}

func (q Query) match(d *Dataset, i int) bool {
	for _, t := range q.tokens {
		var hit bool
		if t.col < 0 {
			hit = bytes.Contains(d.rowHay(i), t.needle)
		} else {
			hit = ContainsFold(d.Cells[t.col][i], t.value)
		}
		if hit == t.neg {
			return false
		}
	}
	return true
}

// Refines reports whether every row matching next also matches prev, so
// next can be computed from prev's result: each token of prev is kept or
// narrowed (a longer text for the same field) and tokens are only added.
func Refines(prev, next Query) bool {
	if len(next.tokens) < len(prev.tokens) {
		return false
	}
	for i, p := range prev.tokens {
		n := next.tokens[i]
		switch {
		case p.col != n.col || p.neg != n.neg:
			return false
		case p.neg && n.value != p.value:
			return false
		case !strings.Contains(n.value, p.value):
			return false
		}
	}
	return true
}

// ContainsFold reports whether s contains the lower-case needle, ignoring
// the case of s without allocating for ASCII text.
func ContainsFold(s, needle string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return strings.Contains(strings.ToLower(s), needle)
		}
	}
	n := len(needle)
	for i := 0; i+n <= len(s); i++ {
		j := 0
		for ; j < n; j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != needle[j] {
				break
			}
		}
		if j == n {
			return true
		}
	}
	return false
}

// Filter keeps the rows of order that match q, in order; large sets
// are scanned in parallel chunks.
func Filter(d *Dataset, order []int32, q Query) []int32 {
	if q.Empty() {
		return order
	}
	workers := 1
	if len(order) >= ParallelRows {
		workers = runtime.GOMAXPROCS(0)
	}
	chunk := (len(order) + workers - 1) / workers
	parts := make([][]int32, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		lo, hi := w*chunk, min((w+1)*chunk, len(order))
		if lo >= hi {
			continue
		}
		wg.Add(1)
		go func(w, lo, hi int) {
			defer wg.Done()
			var out []int32
			for _, i := range order[lo:hi] {
				if q.match(d, int(i)) {
					out = append(out, i)
				}
			}
			parts[w] = out
		}(w, lo, hi)
	}
	wg.Wait()
	if workers == 1 {
		if parts[0] == nil {
			return []int32{}
		}
		return parts[0]
	}
	total := 0
	for _, p := range parts {
		total += len(p)
	}
	out := make([]int32, 0, total)
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}
