package pvesim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Hostile answers: 200s with valid JSON that no path gives. They test
// that a client takes an answer as the truth of its scope only when it is
// one (see the FaultKind list), and bounds what it reads.

// itemIdentity names the keys of a path's items (or of its object answer):
// strip are what FaultNoIdentity removes, huge what FaultHugeKey makes
// long in its copy of the item pick chooses (nil: the last).
type itemIdentity struct {
	strip []string
	huge  []string
	pick  func(item map[string]json.RawMessage) bool
}

func typeIs(types ...string) func(map[string]json.RawMessage) bool {
	return func(item map[string]json.RawMessage) bool {
		var t string
		_ = json.Unmarshal(item["type"], &t)
		for _, want := range types {
			if t == want {
				return true
			}
		}
		return false
	}
}

// identities by normalised path, for the calls a refresh makes and the
// single-object reads beside them.
var identities = map[string]itemIdentity{
	"/version":                                {strip: []string{"version"}},
	"/nodes/{node}/time":                      {strip: []string{"timezone"}},
	"/cluster/status":                         {strip: []string{"type", "name", "id"}, huge: []string{"name", "id"}, pick: typeIs("node")},
	"/cluster/resources":                      {strip: []string{"type", "id", "vmid", "node", "storage"}, huge: []string{"id", "node"}, pick: typeIs("qemu", "lxc")},
	"/nodes":                                  {strip: []string{"node"}, huge: []string{"node"}},
	"/storage":                                {strip: []string{"storage", "type"}, huge: []string{"storage"}},
	"/cluster/replication":                    {strip: []string{"id"}, huge: []string{"id"}},
	"/cluster/backup":                         {strip: []string{"id"}, huge: []string{"id"}},
	"/cluster/backup-info/not-backed-up":      {strip: []string{"vmid", "type"}, huge: []string{"type"}},
	"/nodes/{node}/tasks":                     {strip: []string{"upid"}, huge: []string{"upid"}},
	"/nodes/{node}/replication":               {strip: []string{"id"}, huge: []string{"id"}},
	"/nodes/{node}/storage/{storage}/content": {strip: []string{"volid"}, huge: []string{"volid"}},
	"/nodes/{node}/qemu/{vmid}/snapshot":      {strip: []string{"name"}, huge: []string{"name"}},
	"/nodes/{node}/lxc/{vmid}/snapshot":       {strip: []string{"name"}, huge: []string{"name"}},
	"/cluster/backup/{id}":                    {strip: []string{"id"}},
	"/nodes/{node}/tasks/{upid}/status":       {strip: []string{"upid"}},
	"/nodes/{node}/replication/{id}/status":   {strip: []string{"id"}},
	"/nodes/{node}/network":                   {strip: []string{"iface"}, huge: []string{"iface"}},
	"/nodes/{node}/qemu/{vmid}/config":        {strip: []string{"digest"}},
	"/nodes/{node}/lxc/{vmid}/config":         {strip: []string{"digest"}},
}

// serveHostile answers a GET with a hostile body of the given kind, or, where
// the kind changes nothing (an object answer has no item to copy), as
// usual and without the fault header.
func (s *Sim) serveHostile(w http.ResponseWriter, r *http.Request, kind FaultKind, rel string, m match) {
	if r.Method != http.MethodGet {
		s.serve(w, r, rel, m)
		return
	}
	key := rel
	if m.route != nil {
		key = m.route.pattern
	}
	s.mu.Lock()
	f := s.faults
	n := s.seen[r.Method+" "+r.URL.RequestURI()]
	s.mu.Unlock()
	switch kind {
	case FaultNullData:
		writeFault(w, kind, []byte(`{"data":null}`))
		return
	case FaultNoData:
		writeFault(w, kind, []byte(`{}`))
		return
	case FaultData:
		writeFault(w, kind, []byte(`{"data":`+f.dataFor(key, strings.TrimPrefix(r.URL.Path, apiPrefix))+`}`))
		return
	case FaultHugeAnswer:
		s.serveHuge(w, r, f.HugeAnswerBytes)
		return
	}
	// The rest alter the real answer.
	rec := &bufferWriter{header: http.Header{}}
	s.serve(rec, r, rel, m)
	var env map[string]json.RawMessage
	if rec.status != 0 && rec.status != http.StatusOK || json.Unmarshal(rec.body, &env) != nil {
		s.serve(w, r, rel, m) // an error answer stays what it is
		return
	}
	data, changed := alter(kind, bytes.TrimSpace(env["data"]), identities[key], f.hugeKey(), n)
	if !changed {
		writeOK(w, rec.body)
		return
	}
	env["data"] = data
	body, err := json.Marshal(env)
	if err != nil {
		writeOK(w, rec.body)
		return
	}
	writeFault(w, kind, body)
}

func writeFault(w http.ResponseWriter, kind FaultKind, body []byte) {
	w.Header().Set(FaultHeader, kind.String())
	writeOK(w, body)
}

// alter applies a hostile kind to the data of an answer; n is how many
// times the request was asked before (FaultEmptyItems alternates).
func alter(kind FaultKind, data []byte, id itemIdentity, hugeKey int, n uint64) ([]byte, bool) {
	isList := len(data) > 0 && data[0] == '['
	isObject := len(data) > 0 && data[0] == '{'
	switch kind {
	case FaultWrongShape:
		switch {
		case isList:
			return []byte(`{}`), true
		case isObject:
			return []byte(`[]`), true
		}
	case FaultEmptyItems:
		switch {
		case isList && n%2 == 0:
			return []byte(`[{}]`), true
		case isList:
			return []byte(`[null]`), true
		case isObject:
			var obj map[string]json.RawMessage
			if json.Unmarshal(data, &obj) != nil || len(obj) == 0 {
				return nil, false
			}
			for k := range obj {
				obj[k] = json.RawMessage(`null`)
			}
			b, err := json.Marshal(obj)
			return b, err == nil
		}
	case FaultNoIdentity:
		if len(id.strip) == 0 {
			return nil, false
		}
		if isObject {
			var obj map[string]json.RawMessage
			if json.Unmarshal(data, &obj) != nil {
				return nil, false
			}
			for _, k := range id.strip {
				delete(obj, k)
			}
			b, err := json.Marshal(obj)
			return b, err == nil
		}
		var items []map[string]json.RawMessage
		if !isList || json.Unmarshal(data, &items) != nil {
			return nil, false
		}
		if len(items) == 0 {
			return []byte(`[{}]`), true
		}
		for _, k := range id.strip {
			delete(items[0], k)
		}
		b, err := json.Marshal(items)
		return b, err == nil
	case FaultHugeKey:
		var items []map[string]json.RawMessage
		if len(id.huge) == 0 || !isList || json.Unmarshal(data, &items) != nil {
			return nil, false
		}
		src := -1
		for i := len(items) - 1; i >= 0; i-- {
			if id.pick == nil || id.pick(items[i]) {
				src = i
				break
			}
		}
		if src < 0 {
			return nil, false
		}
		cp := map[string]json.RawMessage{}
		for k, v := range items[src] {
			cp[k] = v
		}
		long, _ := json.Marshal("huge-" + strings.Repeat("x", max(hugeKey-5, 0)))
		for _, k := range id.huge {
			cp[k] = long
		}
		b, err := json.Marshal(append(items, cp))
		return b, err == nil
	}
	return nil, false
}

func (f *Faults) hugeKey() int {
	if f.HugeKeyBytes > 0 {
		return f.HugeKeyBytes
	}
	return 10 << 20
}

// dataFor returns Faults.Data's JSON for a request: by its own path, its
// normalised path, then the keys as path patterns in sorted order.
func (f *Faults) dataFor(key, own string) string {
	if d, ok := f.Data[own]; ok {
		return d
	}
	if d, ok := f.Data[key]; ok {
		return d
	}
	keys := make([]string, 0, len(f.Data))
	for k := range f.Data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if ok, _ := path.Match(k, own); ok {
			return f.Data[k]
		}
		if ok, _ := path.Match(k, key); ok {
			return f.Data[k]
		}
	}
	return "null"
}

// serveHuge streams a list of about size bytes (256 MiB when 0) item by
// item, so that neither side needs it in memory unless it keeps it; it
// stops when the client goes away.
func (s *Sim) serveHuge(w http.ResponseWriter, r *http.Request, size int64) {
	if size <= 0 {
		size = 256 << 20
	}
	setPVEHeaders(w.Header())
	w.Header().Set(FaultHeader, FaultHugeAnswer.String())
	w.WriteHeader(http.StatusOK)
	buf := make([]byte, 0, 64<<10)
	buf = append(buf, `{"data":[`...)
	written := int64(0)
	for i := 0; ; i++ {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = hugeItem(buf, i)
		last := written+int64(len(buf)) >= size-2
		if last {
			buf = append(buf, "]}"...)
		}
		if len(buf) >= 60<<10 || last {
			if _, err := w.Write(buf); err != nil || r.Context().Err() != nil {
				return
			}
			written += int64(len(buf))
			buf = buf[:0]
		}
		if last {
			return
		}
	}
}

func hugeItem(b []byte, i int) []byte {
	id := strconv.Itoa(i)
	b = append(b, `{"volid":"huge:backup/vzdump-qemu-`...)
	b = append(b, id...)
	b = append(b, `-2026_01_01-00_00_00.vma.zst","content":"backup","format":"vma.zst","vmid":`...)
	b = append(b, id...)
	b = append(b, `,"size":1,"ctime":1767225600,"id":"qemu/`...)
	b = append(b, id...)
	b = append(b, `","type":"qemu","node":"pve1","name":"huge-`...)
	b = append(b, id...)
	b = append(b, `","upid":"UPID:pve1:00000001:00000001:00000001:vzdump:`...)
	b = append(b, id...)
	b = append(b, `:root@pam:","storage":"huge"}`...)
	return b
}
