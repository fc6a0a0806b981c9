package netbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sort"
	"strings"
	"time"
)

// APIError is an answer from NetBox (or a proxy in front of it) that is
// not a success, with NetBox's messages decoded.
type APIError struct {
	Method string
	Path   string
	Status int
	// Detail is a {"detail"} or {"error"} message, or a proxy's page title.
	Detail string
	// Fields are validation messages of one object: field -> messages
	// ("__all__" and "non_field_errors" are not about one field).
	Fields map[string][]string
	// Items are the per-object messages of a bulk request, aligned with
	// the request (empty maps for objects that were fine).
	Items []map[string][]string
	// Exception is the exception class of a NetBox 500 ("IntegrityError").
	Exception  string
	RetryAfter time.Duration
	header     http.Header
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%s %s: %d %s", e.Method, e.Path, e.Status, e.Message())
}

// Message is NetBox's explanation without the request line.
func (e *APIError) Message() string {
	switch {
	case len(e.Fields) > 0:
		return fieldMessages(e.Fields)
	case len(e.Items) > 0:
		var parts []string
		for i, it := range e.Items {
			if len(it) > 0 {
				parts = append(parts, fmt.Sprintf("object %d: %s", i, fieldMessages(it)))
			}
		}
		return strings.Join(parts, "; ")
	case e.Detail != "":
		return e.Detail
	}
	return http.StatusText(e.Status)
}

// fieldMessages renders {"name": ["taken"], "__all__": ["x"]} as
// "name: taken; x".
func fieldMessages(m map[string][]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		msg := strings.Join(m[k], " ")
		if k == "__all__" || k == "non_field_errors" {
			parts = append(parts, msg)
		} else {
			parts = append(parts, k+": "+msg)
		}
	}
	return strings.Join(parts, "; ")
}

// TransportError is a request that got no answer (reset, timeout, refused).
type TransportError struct {
	Method, Path string
	Err          error
	// Timeout is the request's limit when it ran out (a stalled answer).
	Timeout time.Duration
}

func (e *TransportError) Error() string {
	if e.Timeout > 0 {
		return fmt.Sprintf("%s %s: no complete answer within %s (netbox.timeout)", e.Method, e.Path, e.Timeout)
	}
	return fmt.Sprintf("%s %s: no answer: %v", e.Method, e.Path, e.Err)
}

func (e *TransportError) Unwrap() error { return e.Err }

func newAPIError(method, path string, resp *http.Response, raw []byte) *APIError {
	e := &APIError{Method: method, Path: path, Status: resp.StatusCode, header: resp.Header}
	e.RetryAfter, _ = retryAfter(resp.Header, time.Now())
	var body any
	if json.Unmarshal(raw, &body) != nil {
		e.Detail = htmlTitle(raw)
		return e
	}
	switch b := body.(type) {
	case map[string]any:
		if d, ok := b["detail"].(string); ok {
			e.Detail = d
		}
		if s, ok := b["error"].(string); ok {
			e.Detail = s
			e.Exception, _ = b["exception"].(string)
		}
		// 4.7 bulk: {"detail": "N of M objects failed validation.", "errors": [{"index", "errors"}]}
		if list, ok := b["errors"].([]any); ok {
			for _, it := range list {
				m, _ := it.(map[string]any)
				idx, ok := m["index"].(float64)
				if !ok {
					continue
				}
				for len(e.Items) <= int(idx) {
					e.Items = append(e.Items, map[string][]string{})
				}
				e.Items[int(idx)] = messagesOf(m["errors"])
			}
		}
		if e.Detail == "" && len(e.Items) == 0 {
			e.Fields = messagesOf(b)
		}
	case []any:
		e.Items = make([]map[string][]string, len(b))
		for i, it := range b {
			e.Items[i] = messagesOf(it)
		}
	}
	return e
}

// messagesOf reads a DRF error dict; nested lists (tags) are flattened.
func messagesOf(v any) map[string][]string {
	m, _ := v.(map[string]any)
	out := map[string][]string{}
	for k, val := range m {
		var msgs []string
		var walk func(any)
		walk = func(x any) {
			switch y := x.(type) {
			case string:
				msgs = append(msgs, y)
			case []any:
				for _, z := range y {
					walk(z)
				}
			case map[string]any:
				for _, z := range y {
					walk(z)
				}
			}
		}
		walk(val)
		if len(msgs) > 0 {
			out[k] = msgs
		}
	}
	return out
}

func htmlTitle(raw []byte) string {
	s := string(raw)
	for _, tag := range []string{"<title>", "<h1>"} {
		if i := strings.Index(s, tag); i >= 0 {
			rest := s[i+len(tag):]
			if j := strings.Index(rest, "<"); j >= 0 {
				return strings.TrimSpace(rest[:j])
			}
		}
	}
	s = strings.TrimSpace(s)
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// notActed reports an error after which NetBox surely did not perform the
// request: throttled, no backend, or a NetBox 500 (the transaction rolled
// back).
func notActed(err error) bool {
	var ae *APIError
	if !errors.As(err, &ae) {
		return false
	}
	return ae.Status == http.StatusTooManyRequests || ae.Status == http.StatusServiceUnavailable ||
		ae.Status == http.StatusInternalServerError && ae.Exception != ""
}

// transient reports an error worth trying again (for a request that is safe
// to repeat).
func transient(err error) bool {
	var te *TransportError
	if errors.As(err, &te) {
		return true
	}
	var ae *APIError
	return errors.As(err, &ae) && (ae.Status == http.StatusTooManyRequests || ae.Status >= 500)
}

// Ambiguous reports an error after which NetBox may or may not have
// performed a write (reset, gateway timeout): re-read before repeating it.
func Ambiguous(err error) bool { return transient(err) && !notActed(err) }

// shouldRetry decides whether attempt (0-based) is followed by another and
// how long to wait first.
func (c *Client) shouldRetry(method string, err error, attempt int) (time.Duration, bool) {
	if attempt >= c.retries {
		return 0, false
	}
	safe := method != http.MethodPost
	if !(safe && transient(err) || notActed(err)) {
		return 0, false
	}
	var ae *APIError
	if errors.As(err, &ae) && ae.RetryAfter > 0 {
		if ae.RetryAfter > c.maxWait {
			return 0, false // Do says why
		}
		return ae.RetryAfter, true
	}
	d := c.backoff << min(attempt, 10)
	d = d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
	return min(d, c.maxWait), true
}
