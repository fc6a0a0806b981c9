package pvesim

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// getFault GETs path with the root token and returns the status, the
// fault header and the body.
func getFault(t *testing.T, srv *Server, path string) (int, string, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", srv.APIURL()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", rootAuth)
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, res.Header.Get(FaultHeader), b
}

// dataOf returns the "data" of a body and whether the key is there.
func dataOf(t *testing.T, body []byte) (string, bool) {
	t.Helper()
	var env map[string]json.RawMessage
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatalf("body is not a JSON object: %.200s", body)
	}
	d, ok := env["data"]
	return string(d), ok
}

// Each hostile kind answers 200 with valid JSON as documented, marks the
// answer with the fault header, and leaves alone the answers it cannot
// change.
func TestHostileFaultKinds(t *testing.T) {
	const content = "/nodes/pve1/storage/pbs/content"
	tests := []struct {
		kind   FaultKind
		path   string
		faults Faults
		marked bool
		check  func(t *testing.T, data string, hasData bool)
	}{
		{kind: FaultNullData, path: content, marked: true, check: func(t *testing.T, d string, ok bool) {
			if !ok || d != "null" {
				t.Errorf("data %q", d)
			}
		}},
		{kind: FaultNoData, path: "/cluster/resources", marked: true, check: func(t *testing.T, d string, ok bool) {
			if ok {
				t.Errorf("data present: %q", d)
			}
		}},
		{kind: FaultWrongShape, path: content, marked: true, check: func(t *testing.T, d string, ok bool) {
			if d != "{}" {
				t.Errorf("data %q, want an object", d)
			}
		}},
		{kind: FaultWrongShape, path: "/version", marked: true, check: func(t *testing.T, d string, ok bool) {
			if d != "[]" {
				t.Errorf("data %q, want a list", d)
			}
		}},
		{kind: FaultEmptyItems, path: "/cluster/resources", marked: true, check: func(t *testing.T, d string, ok bool) {
			if d != "[{}]" && d != "[null]" {
				t.Errorf("data %q", d)
			}
		}},
		{kind: FaultEmptyItems, path: "/nodes/pve1/time", marked: true, check: func(t *testing.T, d string, ok bool) {
			var obj map[string]any
			if json.Unmarshal([]byte(d), &obj) != nil || len(obj) == 0 || obj["timezone"] != nil {
				t.Errorf("data %q, want every value null", d)
			}
		}},
		{kind: FaultNoIdentity, path: content, marked: true, check: func(t *testing.T, d string, ok bool) {
			var items []map[string]any
			if json.Unmarshal([]byte(d), &items) != nil || len(items) < 2 {
				t.Fatalf("data %.200q", d)
			}
			if _, has := items[0]["volid"]; has {
				t.Errorf("first item keeps its volid: %v", items[0])
			}
			if _, has := items[1]["volid"]; !has {
				t.Errorf("second item lost its volid: %v", items[1])
			}
		}},
		{kind: FaultNoIdentity, path: "/access/permissions", marked: false, check: func(t *testing.T, d string, ok bool) {
			if !strings.Contains(d, `"/"`) {
				t.Errorf("permissions changed: %.200q", d)
			}
		}},
		{kind: FaultHugeKey, path: content, faults: Faults{HugeKeyBytes: 5000}, marked: true, check: func(t *testing.T, d string, ok bool) {
			var items []map[string]any
			if json.Unmarshal([]byte(d), &items) != nil || len(items) < 2 {
				t.Fatalf("data %.200q", d)
			}
			last := items[len(items)-1]
			if v, _ := last["volid"].(string); len(v) != 5000 {
				t.Errorf("the added item's volid has %d bytes", len(v))
			}
			for _, it := range items[:len(items)-1] {
				if v, _ := it["volid"].(string); len(v) >= 5000 {
					t.Errorf("a real item changed: %.80s", v)
				}
			}
		}},
		{kind: FaultHugeKey, path: "/cluster/resources", faults: Faults{HugeKeyBytes: 5000}, marked: true, check: func(t *testing.T, d string, ok bool) {
			var items []map[string]any
			_ = json.Unmarshal([]byte(d), &items)
			last := items[len(items)-1]
			if typ := last["type"]; typ != "qemu" && typ != "lxc" {
				t.Errorf("copied a %v entry, want a guest", typ)
			}
			if v, _ := last["id"].(string); len(v) != 5000 {
				t.Errorf("id of %d bytes", len(v))
			}
		}},
		{kind: FaultHugeKey, path: "/version", marked: false, check: func(t *testing.T, d string, ok bool) {
			if !strings.Contains(d, `"version"`) {
				t.Errorf("version changed: %q", d)
			}
		}},
		{kind: FaultData, path: content, faults: Faults{Data: map[string]string{"/nodes/*/storage/pbs/content": `[{"x":1}]`}}, marked: true,
			check: func(t *testing.T, d string, ok bool) {
				if d != `[{"x":1}]` {
					t.Errorf("data %q", d)
				}
			}},
		{kind: FaultData, path: "/nodes/pve1/storage/local/content", faults: Faults{Data: map[string]string{"/nodes/*/storage/pbs/content": `[]`}}, marked: true,
			check: func(t *testing.T, d string, ok bool) {
				if d != "null" {
					t.Errorf("data %q for a path without an entry, want null", d)
				}
			}},
		{kind: FaultHugeAnswer, path: content, faults: Faults{HugeAnswerBytes: 3 << 20}, marked: true, check: func(t *testing.T, d string, ok bool) {
			var items []map[string]any
			if err := json.Unmarshal([]byte(d), &items); err != nil || len(items) < 1000 {
				t.Errorf("%d items, %v", len(items), err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.kind.String()+" "+tc.path, func(t *testing.T) {
			f := tc.faults
			f.Rate, f.Kinds = 1, []FaultKind{tc.kind}
			srv, _ := startDemoEndpoint(t, 0, Options{Faults: f})
			status, mark, body := getFault(t, srv, tc.path)
			if status != 200 {
				t.Fatalf("status %d: %.200s", status, body)
			}
			if (mark != "") != tc.marked || tc.marked && mark != tc.kind.String() {
				t.Errorf("fault header %q, want marked %v", mark, tc.marked)
			}
			if tc.kind == FaultHugeAnswer && len(body) < 3<<20 {
				t.Errorf("huge answer of %d bytes", len(body))
			}
			d, ok := dataOf(t, body)
			tc.check(t, d, ok)
		})
	}
}
