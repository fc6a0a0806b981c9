package pvesim

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
)

// schemaDeviations are the places where Proxmox's wire format contradicts
// its own schema, keyed by "METHOD pattern" and a path into the answer
// ("[]" for any list item; a trailing "*" matches any rest). pvesim
// reproduces the wire format.
var schemaDeviations = map[string]string{
	"GET /cluster/backup [].prune-backups.*":         "GET returns the property string parsed into an object of STRINGS (reference 3.17)",
	"GET /cluster/backup [].fleecing.*":              "object of strings, as prune-backups",
	"GET /cluster/backup [].performance.*":           "object of strings, as prune-backups",
	"GET /cluster/backup/{id} .prune-backups.*":      "object of strings, as in the list",
	"GET /cluster/backup/{id} .fleecing.*":           "object of strings, as in the list",
	"GET /cluster/backup/{id} .performance.*":        "object of strings, as in the list",
	"GET /nodes/{node}/qemu [].pressure*":            "pressure values are strings on PVE 9 (reference 3.6)",
	"GET /nodes/{node}/lxc [].pressure*":             "pressure values are strings on PVE 9 (reference 3.6)",
	"GET /nodes/{node}/lxc [].cpus":                  "cpus comes from cpulimit as a Perl string when cores is unset (reference 3.7)",
	"GET /nodes/{node}/qemu/{vmid}/config .cpulimit": "'number' config keys keep the string of the file (reference 3.8)",
	"GET /nodes/{node}/lxc/{vmid}/config .cpulimit":  "'number' config keys keep the string of the file (reference 3.9)",
	"GET /cluster/backup-info/not-backed-up [].name": "the handler copies the config name, undef (null) for unnamed guests",
}

// schemaProbes are the requests whose answers are checked: one or more per
// served GET, chosen to hit the interesting variants of the demo estate.
var schemaProbes = []struct{ pattern, path string }{
	{"/version", "/version"},
	{"/access/permissions", "/access/permissions"},
	{"/access/permissions", "/access/permissions?path=/storage/pbs"},
	{"/cluster/status", "/cluster/status"},
	{"/cluster/resources", "/cluster/resources"},
	{"/cluster/tasks", "/cluster/tasks"},
	{"/cluster/backup", "/cluster/backup"},
	{"/cluster/backup/{id}", "/cluster/backup/backup-2f9c41aa-07d3"},
	{"/cluster/backup/{id}", "/cluster/backup/backup-8d1ad2ec-5b85"},
	{"/cluster/backup-info/not-backed-up", "/cluster/backup-info/not-backed-up"},
	{"/cluster/replication", "/cluster/replication"},
	{"/cluster/replication/{id}", "/cluster/replication/100-0"},
	{"/nodes", "/nodes"},
	{"/nodes/{node}/status", "/nodes/pve1/status"},
	{"/nodes/{node}/time", "/nodes/pve1/time"},
	{"/nodes/{node}/version", "/nodes/pve2/version"},
	{"/nodes/{node}/qemu", "/nodes/pve2/qemu?full=1"},
	{"/nodes/{node}/lxc", "/nodes/pve1/lxc"},
	{"/nodes/{node}/qemu/{vmid}/config", "/nodes/pve1/qemu/102/config"},
	{"/nodes/{node}/lxc/{vmid}/config", "/nodes/pve1/lxc/200/config"},
	{"/nodes/{node}/lxc/{vmid}/config", "/nodes/pve1/lxc/206/config"},
	{"/nodes/{node}/qemu/{vmid}/snapshot", "/nodes/pve1/qemu/100/snapshot"},
	{"/nodes/{node}/lxc/{vmid}/snapshot", "/nodes/pve1/lxc/200/snapshot"},
	{"/storage", "/storage"},
	{"/storage/{storage}", "/storage/pbs"},
	{"/nodes/{node}/storage", "/nodes/pve1/storage"},
	{"/nodes/{node}/storage/{storage}/content", "/nodes/pve1/storage/pbs/content"},
	{"/nodes/{node}/storage/{storage}/content", "/nodes/pve1/storage/nfs-backup/content"},
	{"/nodes/{node}/tasks", "/nodes/pve1/tasks?source=all&limit=0"},
	{"/nodes/{node}/replication", "/nodes/pve2/replication"},
	{"/nodes/{node}/replication/{id}/status", "/nodes/pve1/replication/100-0/status"},
	{"/nodes/{node}/network", "/nodes/pve1/network"},
	{"/nodes/{node}/qemu/{vmid}/agent/network-get-interfaces", "/nodes/pve1/qemu/100/agent/network-get-interfaces"},
	{"/nodes/{node}/qemu/{vmid}/agent/get-host-name", "/nodes/pve1/qemu/100/agent/get-host-name"},
	{"/nodes/{node}/lxc/{vmid}/interfaces", "/nodes/pve1/lxc/200/interfaces"},
}

func loadSchemaExtract(t *testing.T) map[string]map[string]map[string]any {
	t.Helper()
	raw, err := os.ReadFile(schemaExtractFile)
	if err != nil {
		t.Fatal(err)
	}
	var s map[string]map[string]map[string]any
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestResponsesMatchSchema validates answers against the "returns" schema
// wherever it describes properties: present non-optional keys, JSON types
// (Proxmox booleans are 0/1 numbers), enums.
func TestResponsesMatchSchema(t *testing.T) {
	schema := loadSchemaExtract(t)
	srv, _ := startDemoEndpoint(t, 0, Options{})
	// Running and finished tasks, a vzdump answer and a task status/log.
	upid := string(do(t, srv, "POST", "/nodes/pve1/vzdump", rootAuth, `{"vmid":"100","storage":"pbs"}`).body)
	upid = strings.TrimSuffix(strings.TrimPrefix(upid, `{"data":"`), `"}`)
	probes := append(slices.Clone(schemaProbes),
		struct{ pattern, path string }{"/nodes/{node}/tasks/{upid}/status", "/nodes/pve1/tasks/" + upid + "/status"},
		struct{ pattern, path string }{"/nodes/{node}/tasks/{upid}/log", "/nodes/pve1/tasks/" + upid + "/log"},
	)
	used := map[string]bool{}
	probed := map[string]bool{}
	for _, p := range probes {
		probed[p.pattern] = true
		t.Run(p.path, func(t *testing.T) {
			r := get(t, srv, p.path)
			if r.status != 200 {
				t.Fatalf("%s", r.line)
			}
			var v any
			if err := json.Unmarshal(r.body, &v); err != nil {
				t.Fatal(err)
			}
			returns, _ := schema[p.pattern]["GET"]["returns"].(map[string]any)
			var errs []string
			key := "GET " + p.pattern
			validate(returns, v.(map[string]any)["data"], "", func(at, msg string) {
				if dev := matchDeviation(key + " " + at); dev != "" {
					used[dev] = true
					return
				}
				errs = append(errs, at+": "+msg)
			})
			sort.Strings(errs)
			for _, e := range slices.Compact(errs) {
				t.Error(e)
			}
		})
	}
	for _, rt := range routeTable() {
		if rt.method == "GET" && !probed[rt.pattern] {
			t.Errorf("GET %s has no schema probe", rt.pattern)
		}
	}
	for k := range schemaDeviations {
		if !used[k] {
			t.Errorf("deviation %q no longer occurs: remove it", k)
		}
	}
}

func matchDeviation(k string) string {
	for d := range schemaDeviations {
		if d == k || strings.HasSuffix(d, "*") && strings.HasPrefix(k, strings.TrimSuffix(d, "*")) {
			return d
		}
	}
	return ""
}

// validate walks a returns schema and the decoded answer together.
func validate(s map[string]any, v any, at string, fail func(at, msg string)) {
	if s == nil {
		return
	}
	typ, _ := s["type"].(string)
	if v == nil {
		if typ != "null" && typ != "" {
			fail(at, "null where the schema says "+typ)
		}
		return
	}
	switch typ {
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			fail(at, fmt.Sprintf("%T where the schema says object", v))
			return
		}
		props, _ := s["properties"].(map[string]any)
		for name, ps := range props {
			p, _ := ps.(map[string]any)
			val, present := m[name]
			if !present {
				if p["optional"] == nil || p["optional"] == 0.0 {
					fail(at+"."+name, "required property missing")
				}
				continue
			}
			validate(p, val, at+"."+name, fail)
		}
	case "array":
		l, ok := v.([]any)
		if !ok {
			fail(at, fmt.Sprintf("%T where the schema says array", v))
			return
		}
		items, _ := s["items"].(map[string]any)
		for _, e := range l {
			validate(items, e, at+"[]", fail)
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			fail(at, fmt.Sprintf("%v (%T) where the schema says string", v, v))
			return
		}
		if enum, ok := s["enum"].([]any); ok && !slices.Contains(enum, any(str)) {
			fail(at, fmt.Sprintf("%q not in %v", str, enum))
		}
	case "integer":
		f, ok := v.(float64)
		if !ok || f != math.Trunc(f) {
			fail(at, fmt.Sprintf("%v (%T) where the schema says integer", v, v))
		}
	case "number":
		if _, ok := v.(float64); !ok {
			fail(at, fmt.Sprintf("%v (%T) where the schema says number", v, v))
		}
	case "boolean":
		if f, ok := v.(float64); !ok || (f != 0 && f != 1) {
			fail(at, fmt.Sprintf("%v (%T) where the schema says boolean (0/1)", v, v))
		}
	}
}

// TestRouteParamsMatchSchema keeps the parameter tables (which decide the
// 400 answers) in line with the schema.
func TestRouteParamsMatchSchema(t *testing.T) {
	schema := loadSchemaExtract(t)
	for _, rt := range routeTable() {
		params, _ := schema[rt.pattern][rt.method]["parameters"].(map[string]any)
		props, _ := params["properties"].(map[string]any)
		for name, ps := range props {
			if isPathVar(rt, name) {
				continue
			}
			p := ps.(map[string]any)
			ours, ok := rt.params[name]
			if !ok {
				t.Errorf("%s %s: parameter %q missing", rt.method, rt.pattern, name)
				continue
			}
			want := p["type"].(string)
			if want == "array" {
				want = "string"
			}
			if ours.kind != want {
				t.Errorf("%s %s %s: type %s, schema %s", rt.method, rt.pattern, name, ours.kind, want)
			}
			if enum, ok := p["enum"].([]any); ok && len(enum) != len(ours.enum) {
				t.Errorf("%s %s %s: enum %v, schema %v", rt.method, rt.pattern, name, ours.enum, enum)
			}
			optional := p["optional"] == 1.0
			if ours.required == optional {
				t.Errorf("%s %s %s: required %v, schema optional %v", rt.method, rt.pattern, name, ours.required, optional)
			}
		}
		for name := range rt.params {
			if _, ok := props[name]; !ok {
				t.Errorf("%s %s: parameter %q is not in the schema", rt.method, rt.pattern, name)
			}
		}
	}
}
