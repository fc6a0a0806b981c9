package dataset

import (
	"cmp"
	"slices"
	"strings"
)

// SortSpec is the order of a table: by one column or, with col < 0, the
// order the tab's loader produced (its natural order).
type SortSpec struct {
	Col  int
	Desc bool
}

// Order returns every row index of d in the order spec asks for.
// Ties keep the natural order, so equal rows never swap between loads.
func Order(d *Dataset, spec SortSpec) []int32 {
	order := make([]int32, d.N)
	for i := range order {
		order[i] = int32(i)
	}
	if spec.Col < 0 || spec.Col >= len(d.Cols) {
		if spec.Desc {
			slices.Reverse(order)
		}
		return order
	}
	sign := 1
	if spec.Desc {
		sign = -1
	}
	if nums := d.Nums[spec.Col]; nums != nil {
		slices.SortFunc(order, func(a, b int32) int {
			if c := cmp.Compare(nums[a], nums[b]); c != 0 {
				return sign * c
			}
			return cmp.Compare(a, b)
		})
		return order
	}
	cells := d.Cells[spec.Col]
	slices.SortFunc(order, func(a, b int32) int {
		if c := CompareText(cells[a], cells[b]); c != 0 {
			return sign * c
		}
		return cmp.Compare(a, b)
	})
	return order
}

// CompareText orders names as people expect: case-insensitively, and
// numbers by value when both texts start with digits (VMIDs).
func CompareText(a, b string) int {
	if na, ra, ok := leadingNumber(a); ok {
		if nb, rb, ok := leadingNumber(b); ok {
			if c := cmp.Compare(na, nb); c != 0 {
				return c
			}
			a, b = ra, rb
		}
	}
	if a == b {
		return 0
	}
	if c := compareFold(a, b); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

// compareFold compares ignoring ASCII case, without allocating.
func compareFold(a, b string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		ca, cb := a[i], b[i]
		if 'A' <= ca && ca <= 'Z' {
			ca += 'a' - 'A'
		}
		if 'A' <= cb && cb <= 'Z' {
			cb += 'a' - 'A'
		}
		if ca != cb {
			return cmp.Compare(ca, cb)
		}
	}
	return cmp.Compare(len(a), len(b))
}

func leadingNumber(s string) (int64, string, bool) {
	i := 0
	var n int64
	for i < len(s) && i < 18 && s[i] >= '0' && s[i] <= '9' {
		n = n*10 + int64(s[i]-'0')
		i++
	}
	return n, s[i:], i > 0
}
