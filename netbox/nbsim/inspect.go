package nbsim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// Inspection and seeding for tests. Endpoints are named by their list path
// under /api/, e.g. "virtualization/virtual-machines" or
// "plugins/proxbox/storage" (a leading "/api/" and trailing "/" are
// accepted too).

// Endpoints lists the model endpoints this server serves, the ones a
// client writes objects to: the plugin's settings singleton
// ("plugins/proxbox/settings", which Objects, Object and Patch take too)
// is left out.
func (s *Server) Endpoints() []string {
	out := make([]string, 0, len(s.byPath))
	for p, vw := range s.byPath {
		if !vw.beh.singleton {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

func (s *Server) endpoint(ep string) (*view, error) {
	ep = strings.Trim(strings.TrimPrefix(strings.TrimPrefix(ep, "/"), "api/"), "/")
	vw, ok := s.byPath[ep]
	if !ok {
		return nil, fmt.Errorf("nbsim: no endpoint %q in NetBox %s (plugin %v)", ep, s.version, s.opts.Plugin)
	}
	return vw, nil
}

// Objects returns every object of an endpoint as a NetBox list would
// return them (full representation, default ordering), decoded from JSON.
// It panics on an unknown endpoint.
func (s *Server) Objects(endpoint string) []map[string]any {
	vw, err := s.endpoint(endpoint)
	if err != nil {
		panic(err)
	}
	s.mu.Lock()
	rows := s.st.ordered(s.st.tables[vw.key])
	out := make([]any, len(rows))
	for i, o := range rows {
		out[i] = s.render(vw, o, false, nil)
	}
	b, err := json.Marshal(out)
	s.mu.Unlock()
	if err != nil {
		panic(err)
	}
	var res []map[string]any
	if err := decodeJSON(b, &res); err != nil {
		panic(err)
	}
	return res
}

// Object returns one object, or nil when there is none with that id.
func (s *Server) Object(endpoint string, id int) map[string]any {
	vw, err := s.endpoint(endpoint)
	if err != nil {
		panic(err)
	}
	s.mu.Lock()
	o := s.st.get(vw.key, id)
	if o == nil {
		s.mu.Unlock()
		return nil
	}
	b, err := json.Marshal(s.render(vw, o, false, nil))
	s.mu.Unlock()
	if err != nil {
		panic(err)
	}
	var res map[string]any
	if err := decodeJSON(b, &res); err != nil {
		panic(err)
	}
	return res
}

// Count is the number of objects of an endpoint.
func (s *Server) Count(endpoint string) int {
	vw, err := s.endpoint(endpoint)
	if err != nil {
		panic(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.st.tables[vw.key].rows)
}

// Counters returns a copy of the traffic counters.
func (s *Server) Counters() Counters {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cnt.clone()
}

// ResetCounters zeroes the counters (not the fault sequence).
func (s *Server) ResetCounters() {
	s.mu.Lock()
	s.cnt.reset()
	s.mu.Unlock()
}

// IgnoredFields reports body fields NetBox would have silently ignored:
// endpoint -> field -> times.
func (s *Server) IgnoredFields() map[string]map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]map[string]int{}
	for ep, m := range s.ignored {
		out[ep] = map[string]int{}
		for f, n := range m {
			out[ep][f] = n
		}
	}
	return out
}

// APIError is a write the simulator refused, with NetBox's answer.
type APIError struct {
	Status int
	Body   json.RawMessage
}

func (e *APIError) Error() string {
	return fmt.Sprintf("nbsim: %d %s: %s", e.Status, http.StatusText(e.Status), e.Body)
}

// Seed creates an object as another NetBox user would (same validation,
// no counters, no latency, no faults) and returns its id. obj is what a
// client would POST, e.g. {"name": "web", "cluster": 1, "tags":
// [{"slug": "owned-by-ops"}]}.
func (s *Server) Seed(endpoint string, obj map[string]any) (int, error) {
	if vw, err := s.endpoint(endpoint); err == nil && vw.beh.singleton {
		return 0, fmt.Errorf("nbsim: %s is a singleton that exists from the start: see SetPluginSettings", endpoint)
	}
	rp, err := s.direct(endpoint, obj, func(vw *view, body any) *reply {
		return s.create(nil, vw, body)
	})
	if err != nil {
		return 0, err
	}
	return rp.(*repr).vals["id"].(int), nil
}

// MustSeed is Seed for fixtures: it panics on failure.
func (s *Server) MustSeed(endpoint string, obj map[string]any) int {
	id, err := s.Seed(endpoint, obj)
	if err != nil {
		panic(err)
	}
	return id
}

// Patch changes an object as another user would (a PATCH).
func (s *Server) Patch(endpoint string, id int, fields map[string]any) error {
	_, err := s.direct(endpoint, fields, func(vw *view, body any) *reply {
		return s.updateOne(&http.Request{Header: http.Header{}}, vw, id, body, true)
	})
	return err
}

// Delete removes an object as another user would (with cascades; a
// protected object is an error).
func (s *Server) Delete(endpoint string, id int) error {
	if vw, err := s.endpoint(endpoint); err == nil && vw.beh.singleton {
		return fmt.Errorf("nbsim: %s is a singleton and cannot be deleted", endpoint)
	}
	_, err := s.direct(endpoint, nil, func(vw *view, _ any) *reply {
		return s.deleteOne(&http.Request{Header: http.Header{}}, vw, id)
	})
	return err
}

func (s *Server) direct(endpoint string, obj map[string]any, fn func(*view, any) *reply) (any, error) {
	vw, err := s.endpoint(endpoint)
	if err != nil {
		return nil, err
	}
	// Round-trip through JSON so the body looks exactly like a request's.
	var body any
	if obj != nil {
		b, err := json.Marshal(obj)
		if err != nil {
			return nil, err
		}
		if err := decodeJSON(b, &body); err != nil {
			return nil, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	saved := s.cnt.clone()
	faults := s.faults
	s.faults = Faults{}
	rp := fn(vw, body)
	s.faults = faults
	s.cnt = saved
	if rp.status >= 300 {
		b, _ := json.Marshal(rp.body)
		return nil, &APIError{Status: rp.status, Body: b}
	}
	return rp.body, nil
}

func decodeJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return dec.Decode(v)
}
