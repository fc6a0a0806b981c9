package pvesim

import (
	"encoding/binary"
	"hash/fnv"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"
)

// FaultKind is one kind of injected failure.
type FaultKind int

// Fault kinds. Each answers the way the real failure looks on the wire.
const (
	// Fault5xx: 500 with a Proxmox-style reason and message.
	Fault5xx FaultKind = iota + 1
	// Fault595: the proxied node is unreachable (595, empty body).
	Fault595
	// Fault401: the credentials are refused.
	Fault401
	// Fault403: a permission check fails.
	Fault403
	// FaultTimeout: no answer until the client gives up (request context
	// done) or the server closes.
	FaultTimeout
	// FaultTruncatedJSON: 200 with the body cut in half (Content-Length
	// matches the cut body, so only the JSON decoder notices).
	FaultTruncatedJSON
	// FaultInvalidJSON: 200 with a NUL byte in the middle of the body.
	FaultInvalidJSON

	// Hostile answers: a 200 that is valid JSON but no answer the path
	// gives (see hostile.go). Each is served only where it changes the
	// answer; elsewhere the request is answered as usual and is no fault.

	// FaultNullData: {"data":null}.
	FaultNullData
	// FaultNoData: {} (no "data" key).
	FaultNoData
	// FaultWrongShape: an object ({}) where the path answers a list, a
	// list ([]) where it answers an object.
	FaultWrongShape
	// FaultEmptyItems: a list answer becomes [{}] or [null] (alternately,
	// per request); an object answer keeps its keys with null values.
	FaultEmptyItems
	// FaultNoIdentity: the real answer with the identity keys of one item
	// removed (of the object, for an object answer); an empty list
	// becomes [{}].
	FaultNoIdentity
	// FaultData: data is what Faults.Data gives for the request's path.
	FaultData
	// FaultHugeKey: the real list plus a copy of one item whose identity
	// is Faults.HugeKeyBytes long (a 10 MB volid); the truth's items are
	// all there.
	FaultHugeKey
	// FaultHugeAnswer: a list of Faults.HugeAnswerBytes, generated while
	// it is sent (the simulator holds none of it), without Content-Length.
	FaultHugeAnswer
)

// String names the kind.
func (k FaultKind) String() string {
	switch k {
	case Fault5xx:
		return "5xx"
	case Fault595:
		return "595"
	case Fault401:
		return "401"
	case Fault403:
		return "403"
	case FaultTimeout:
		return "timeout"
	case FaultTruncatedJSON:
		return "truncated-json"
	case FaultInvalidJSON:
		return "invalid-json"
	case FaultNullData:
		return "null-data"
	case FaultNoData:
		return "no-data"
	case FaultWrongShape:
		return "wrong-shape"
	case FaultEmptyItems:
		return "empty-items"
	case FaultNoIdentity:
		return "no-identity"
	case FaultData:
		return "data"
	case FaultHugeKey:
		return "huge-key"
	case FaultHugeAnswer:
		return "huge-answer"
	}
	return "fault(" + strconv.Itoa(int(k)) + ")"
}

// AllFaultKinds lists the kinds of failure that announce themselves: an
// error status, a hang, a body that is not JSON. Faults with no Kinds
// chooses among these.
func AllFaultKinds() []FaultKind {
	return []FaultKind{Fault5xx, Fault595, Fault401, Fault403, FaultTimeout, FaultTruncatedJSON, FaultInvalidJSON}
}

// HostileFaultKinds lists the answers that look fine at first sight: a 200
// with valid JSON that is no answer of its path, and one item too large to
// keep. FaultData (it needs Faults.Data) and FaultHugeAnswer (large by
// design) are not among them.
func HostileFaultKinds() []FaultKind {
	return []FaultKind{FaultNullData, FaultNoData, FaultWrongShape, FaultEmptyItems, FaultNoIdentity, FaultHugeKey}
}

// FaultHeader names, in an answer's header, the fault injected into it
// (FaultKind.String()); answers without it are the simulator's own.
const FaultHeader = "X-Pvesim-Fault"

// Faults injects failures into a share of the requests. Whether the n-th
// request for a given method and URL fails, and how, is a pure function of
// the seed, the method, the URL and n, so a run is reproducible even when
// requests arrive concurrently.
type Faults struct {
	// Rate is the share of matching requests that fail, 0..1.
	Rate float64
	// Kinds to choose from (uniformly); empty means all kinds.
	Kinds []FaultKind
	// Paths restricts injection to requests whose normalised path (e.g.
	// "/nodes/{node}/storage/{storage}/content", "/cluster/*") or own path
	// (e.g. "/nodes/pve1/time", "/nodes/*/storage/pbs/content") matches one
	// of these path.Match patterns; empty means every path.
	Paths []string
	// SkipAuth keeps POST /access/ticket free of faults.
	SkipAuth bool

	// Data is what FaultData sends as "data" (raw JSON, e.g. `null`,
	// `[{}]`, `{"x":1}`), per path: a key is matched as Paths are (the
	// request's own path first, then the normalised one, then the keys as
	// patterns in sorted order). A request no key matches gets `null`.
	Data map[string]string
	// HugeKeyBytes is the identity's length for FaultHugeKey; 0 means
	// 10 MiB.
	HugeKeyBytes int
	// HugeAnswerBytes is the length of a FaultHugeAnswer body; 0 means
	// 256 MiB.
	HugeAnswerBytes int64
}

// matches reports whether a request with the normalised path key and the
// unescaped path own is subject to injection.
func (f *Faults) matches(key, own string) bool {
	if len(f.Paths) == 0 {
		return true
	}
	for _, p := range f.Paths {
		if p == key || p == own {
			return true
		}
		if ok, _ := path.Match(p, key); ok {
			return true
		}
		if ok, _ := path.Match(p, own); ok {
			return true
		}
	}
	return false
}

// roll returns a deterministic value in [0,1) for one request.
func roll(seed int64, salt, method, url string, n uint64) float64 {
	h := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(seed))
	h.Write(b[:])
	h.Write([]byte(salt))
	h.Write([]byte{0})
	h.Write([]byte(method))
	h.Write([]byte{0})
	h.Write([]byte(url))
	binary.LittleEndian.PutUint64(b[:], n)
	h.Write(b[:])
	// fnv's low bits mix poorly; finish with a splitmix step.
	x := h.Sum64()
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return float64(x>>11) / (1 << 53)
}

func (s *Sim) delay(r *http.Request, n uint64) time.Duration {
	s.mu.Lock()
	l := s.lat
	s.mu.Unlock()
	d := l.Fixed
	if l.Jitter > 0 {
		d += time.Duration(roll(s.opts.Seed, "jitter", r.Method, r.URL.RequestURI(), n) * float64(l.Jitter))
	}
	return d
}

func (s *Sim) fault(r *http.Request, key string, n uint64) (FaultKind, bool) {
	s.mu.Lock()
	f := s.faults
	s.mu.Unlock()
	own := strings.TrimPrefix(r.URL.Path, apiPrefix)
	if f.Rate <= 0 || !f.matches(key, own) || (f.SkipAuth && key == "/access/ticket") {
		return 0, false
	}
	uri := r.URL.RequestURI()
	if roll(s.opts.Seed, "fault", r.Method, uri, n) >= f.Rate {
		return 0, false
	}
	kinds := f.Kinds
	if len(kinds) == 0 {
		kinds = AllFaultKinds()
	}
	i := int(roll(s.opts.Seed, "kind", r.Method, uri, n) * float64(len(kinds)))
	return kinds[min(i, len(kinds)-1)], true
}

func (s *Sim) serveFault(w http.ResponseWriter, r *http.Request, kind FaultKind, rel string, m match) {
	if kind >= FaultNullData {
		s.serveHostile(w, r, kind, rel, m)
		return
	}
	w.Header().Set(FaultHeader, kind.String())
	switch kind {
	case Fault5xx:
		s.writeError(w, err500("got timeout"))
	case Fault595:
		s.writeError(w, errNodeDown())
	case Fault401:
		s.authDelay(r)
		s.writeError(w, err401("invalid token value!"))
	case Fault403:
		// The check the route itself makes, as a token without its
		// privilege would see it.
		p, privs := "/", "Sys.Audit"
		if pc := m.perm(); pc != nil {
			p = pc.path
			for k, v := range m.vars {
				p = strings.ReplaceAll(p, "{"+k+"}", v)
			}
			if pc.any {
				privs = strings.Join(pc.privs, "|")
			} else if len(pc.privs) > 0 {
				privs = pc.privs[0]
			}
		}
		s.writeError(w, errPerm(p, privs))
	case FaultTimeout:
		select {
		case <-r.Context().Done():
		case <-s.done:
		}
		// A hung server never answers: drop the connection rather than
		// let net/http send an empty 200.
		panic(http.ErrAbortHandler)
	case FaultTruncatedJSON, FaultInvalidJSON:
		rec := &bufferWriter{header: http.Header{}}
		s.serve(rec, r, rel, m)
		body := rec.body
		if kind == FaultTruncatedJSON {
			body = body[:len(body)/2]
		} else {
			mid := len(body) / 2
			body = append(append(append([]byte{}, body[:mid]...), 0), body[mid:]...)
		}
		writeOK(w, body)
	}
}

func (m match) perm() *permCheck {
	if m.route == nil {
		return nil
	}
	return m.route.perm
}

// bufferWriter captures a response (for the JSON corruption faults).
type bufferWriter struct {
	header http.Header
	status int
	body   []byte
}

func (b *bufferWriter) Header() http.Header { return b.header }
func (b *bufferWriter) WriteHeader(s int)   { b.status = s }
func (b *bufferWriter) Write(p []byte) (int, error) {
	b.body = append(b.body, p...)
	return len(p), nil
}
