package netbox

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"sync"
)

// PageSize is the page asked for; NetBox caps it at MAX_PAGE_SIZE (1000 by
// default), which List notices and follows.
const PageSize = 1000

type page struct {
	Count   *int             `json:"count"`
	Results []map[string]any `json:"results"`
}

// List reads every object of a list endpoint matching query. Pages after
// the first are fetched concurrently, each holding a slot of sem (nil: one
// at a time). Offsets are computed here rather than taken from "next",
// whose scheme and host are wrong behind some proxies; rows are
// de-duplicated by id.
func (c *Client) List(ctx context.Context, path string, query url.Values, sem chan struct{}) ([]map[string]any, error) {
	q := url.Values{}
	for k, v := range query {
		q[k] = v
	}
	get := func(offset, limit int) (page, error) {
		qq := url.Values{}
		for k, v := range q {
			qq[k] = v
		}
		qq.Set("limit", strconv.Itoa(limit))
		if offset > 0 {
			qq.Set("offset", strconv.Itoa(offset))
		}
		if sem != nil {
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
			case <-ctx.Done():
				return page{}, ctx.Err()
			}
		}
		var p page
		_, err := c.Do(ctx, http.MethodGet, path, qq, nil, &p)
		return p, err
	}
	first, err := get(0, PageSize)
	if err != nil {
		return nil, err
	}
	rows := first.Results
	size := len(first.Results)
	switch {
	case first.Count == nil || size == 0:
		// No count: walk on while pages come back full.
		for off := size; size > 0 && len(first.Results) == size; off += size {
			p, err := get(off, size)
			if err != nil {
				return nil, err
			}
			rows = append(rows, p.Results...)
			first = p
		}
	case *first.Count > size:
		total := *first.Count
		var offsets []int
		for off := size; off < total; off += size {
			offsets = append(offsets, off)
		}
		pages := make([][]map[string]any, len(offsets))
		errs := make([]error, len(offsets))
		var wg sync.WaitGroup
		for i, off := range offsets {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p, err := get(off, size)
				pages[i], errs[i] = p.Results, err
			}()
		}
		wg.Wait()
		for i := range pages {
			if errs[i] != nil {
				return nil, errs[i]
			}
			rows = append(rows, pages[i]...)
		}
	}
	seen := make(map[int64]bool, len(rows))
	out := rows[:0]
	for _, r := range rows {
		id := idOf(r)
		if seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, r)
	}
	return out, nil
}

// idOf is the "id" of a decoded object or nested reference.
func idOf(v any) int64 {
	switch x := v.(type) {
	case map[string]any:
		return idOf(x["id"])
	case float64:
		return int64(x)
	case int64:
		return x
	case int:
		return int64(x)
	}
	return 0
}
