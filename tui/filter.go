package tui

import (
	"bytes"
	"runtime"
	"strings"
	"sync"
	"unicode/utf8"
)

// query is a parsed filter: every token must hold (AND). A token is a
// substring of the whole row, or field:value (a substring of one column),
// either negated with a leading "!". Matching ignores case. A field name
// that is no column's is read as plain text, so "local:backup" finds
// volume IDs.
type query struct {
	raw    string
	tokens []token
}

type token struct {
	col    int    // -1: anywhere in the row
	value  string // lower-cased
	needle []byte // value, for scanning the dataset's hay
	neg    bool
}

func (q query) empty() bool { return len(q.tokens) == 0 }

// parseQuery reads a filter against the columns it will be matched to.
// Double quotes group words: name:"my vm".
func parseQuery(raw string, cols []column) query {
	q := query{raw: raw}
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

func fieldColumn(name string, cols []column) int {
	name = strings.ToLower(name)
	for i, c := range cols {
		if c.field() == name {
			return i
		}
		for _, a := range c.aliases {
			if a == name {
				return i
			}
		}
	}
	return -1
}

// fields lists the field names a filter accepts for these columns.
func fields(cols []column) []string {
	out := make([]string, 0, len(cols))
	for _, c := range cols {
		out = append(out, c.field())
	}
	return out
}

func (q query) match(d *dataset, i int) bool {
	for _, t := range q.tokens {
		var hit bool
		if t.col < 0 {
			hit = bytes.Contains(d.rowHay(i), t.needle)
		} else {
			hit = containsFold(d.cells[t.col][i], t.value)
		}
		if hit == t.neg {
			return false
		}
	}
	return true
}

// containsFold reports whether s contains the lower-case needle, ignoring
// the case of s without allocating for ASCII text.
func containsFold(s, needle string) bool {
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

// filterRows keeps the rows of order that match q, in order; large sets
// are scanned in parallel chunks.
func filterRows(d *dataset, order []int32, q query) []int32 {
	if q.empty() {
		return order
	}
	workers := 1
	if len(order) >= parallelRows {
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
