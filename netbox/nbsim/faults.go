package nbsim

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"path"
	"strconv"
)

// FaultKind is one kind of injected failure.
type FaultKind int

// Fault kinds, each shaped like the real failure on the wire.
const (
	// Fault5xx: 500 with NetBox's JSON error body, or 502/503 from the
	// reverse proxy (HTML); the request has no effect.
	Fault5xx FaultKind = iota + 1
	// Fault429: 429 with Retry-After from a rate-limiting proxy (NetBox
	// itself never throttles); no effect.
	Fault429
	// FaultReset: the connection is reset before any answer; no effect.
	FaultReset
	// FaultTimeoutAfterWrite: the write is committed, then the proxy
	// answers 504. Only writes get it; a client that retries blindly
	// creates duplicates.
	FaultTimeoutAfterWrite
)

// String names the kind.
func (k FaultKind) String() string {
	switch k {
	case Fault5xx:
		return "5xx"
	case Fault429:
		return "429"
	case FaultReset:
		return "reset"
	case FaultTimeoutAfterWrite:
		return "timeout-after-write"
	}
	return "fault(" + strconv.Itoa(int(k)) + ")"
}

// Faults injects failures into a share of the requests. Whether the n-th
// request for a method and path fails, and how, depends only on the seed,
// the method, the path and n, so runs repeat even with concurrent clients.
type Faults struct {
	// Rate is the share of matching requests that fail, 0..1.
	Rate float64
	// Kinds to choose from (uniformly); empty means Fault5xx, Fault429 and
	// FaultReset.
	Kinds []FaultKind
	// Paths restricts injection to paths matching one of these path.Match
	// patterns, tried against the route template
	// ("/api/virtualization/virtual-machines/{id}/") and the request path;
	// empty means every path.
	Paths []string
	// Methods restricts injection to these methods; empty means all.
	Methods []string
	// RetryAfter is the Retry-After of Fault429 in seconds (0 means 1).
	RetryAfter int
	// Reject fails specific objects of a write with a 400 validation
	// error, every time, like a NetBox-side rule the client cannot see.
	Reject []Rejection
}

// Rejection refuses objects that Match on writes to Endpoint.
type Rejection struct {
	// Endpoint is the list path under /api/, e.g.
	// "virtualization/virtual-machines".
	Endpoint string
	// Match sees each object of a POST/PUT/PATCH body as decoded JSON
	// (numbers are json.Number) and, for updates, the stored object as
	// rendered.
	Match func(body, current map[string]any) bool
	// Field and Message form the error: {"<Field>": ["<Message>"]}.
	// Field "" means "__all__".
	Field, Message string
}

func (f *Faults) applies(method, template, p string) bool {
	if f.Rate <= 0 {
		return false
	}
	if len(f.Methods) > 0 {
		ok := false
		for _, m := range f.Methods {
			ok = ok || m == method
		}
		if !ok {
			return false
		}
	}
	if len(f.Paths) == 0 {
		return true
	}
	for _, pat := range f.Paths {
		if pat == template || pat == p {
			return true
		}
		if ok, _ := path.Match(pat, template); ok {
			return true
		}
		if ok, _ := path.Match(pat, p); ok {
			return true
		}
	}
	return false
}

// injectFault decides this request's fate; callers hold s.mu. after
// reports a fault that strikes once the write is done.
func (s *Server) injectFault(r *http.Request, rt route) (rp *reply, after bool) {
	f := &s.faults
	if !f.applies(r.Method, rt.template, r.URL.Path) {
		return nil, false
	}
	key := r.Method + " " + r.URL.Path
	n := s.seen[key]
	s.seen[key] = n + 1
	if roll(s.opts.Seed, "fault", key, n) >= f.Rate {
		return nil, false
	}
	kinds := f.Kinds
	if len(kinds) == 0 {
		kinds = []FaultKind{Fault5xx, Fault429, FaultReset}
	}
	pick := roll(s.opts.Seed, "kind", key, n)
	kind := kinds[int(pick*float64(len(kinds)))%len(kinds)]
	switch kind {
	case Fault429:
		ra := f.RetryAfter
		if ra <= 0 {
			ra = 1
		}
		h := http.Header{}
		h.Set("Retry-After", strconv.Itoa(ra))
		return &reply{status: http.StatusTooManyRequests, ctype: "text/html", header: h,
			raw: []byte("<html><body><h1>429 Too Many Requests</h1>\nYou have sent too many requests in a given amount of time.\n</body></html>\n")}, false
	case FaultReset:
		return &reply{reset: true}, false
	case FaultTimeoutAfterWrite:
		if r.Method == http.MethodGet || r.Method == http.MethodHead || r.Method == http.MethodOptions {
			return gatewayTimeout(), false
		}
		return nil, true
	default:
		switch int(roll(s.opts.Seed, "5xx", key, n) * 3) {
		case 0:
			return jsonReply(http.StatusInternalServerError, map[string]any{
				"error":          "could not serialize access due to concurrent update",
				"exception":      "OperationalError",
				"netbox_version": s.full,
				"python_version": pythonVersion,
			}), false
		case 1:
			return &reply{status: http.StatusBadGateway, ctype: "text/html",
				raw: []byte("<html><body><h1>502 Bad Gateway</h1>\n</body></html>\n")}, false
		default:
			return &reply{status: http.StatusServiceUnavailable, ctype: "text/html",
				raw: []byte("<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n")}, false
		}
	}
}

// rejection returns the configured rejection for an object, if any.
func (s *Server) rejection(vw *view, body map[string]any, current *object) (string, string, bool) {
	for _, rj := range s.faults.Reject {
		if rj.Endpoint != vw.path || rj.Match == nil {
			continue
		}
		var cur map[string]any
		if current != nil {
			if b, err := json.Marshal(s.render(vw, current, false, nil)); err == nil {
				decodeJSON(b, &cur) //nolint:errcheck // our own JSON
			}
		}
		if rj.Match(body, cur) {
			field := rj.Field
			if field == "" {
				field = "__all__"
			}
			return field, rj.Message, true
		}
	}
	return "", "", false
}

// roll is a deterministic value in [0,1) for one request.
func roll(seed int64, salt, key string, n uint64) float64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d\x00%s\x00%s", seed, salt, key)
	return float64(mix(h.Sum64(), n, 0)>>11) / (1 << 53)
}

// mix is a splitmix64 finaliser over a few inputs.
func mix(a, b, c uint64) uint64 {
	x := a ^ (b * 0x9e3779b97f4a7c15) ^ (c << 32)
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
