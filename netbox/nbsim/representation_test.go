package nbsim

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// TestRepresentationShape: field order and nested brief objects follow the
// version's serializer.
func TestRepresentationShape(t *testing.T) {
	for _, v := range []string{"4.1", "4.3", "4.6"} {
		s, c := start(t, Options{Version: v})
		f := seedBase(t, s)
		r := c.must(201, "POST", vmPath, map[string]any{"name": "web01", "cluster": f.cluster, "vcpus": 2, "role": f.role,
			"tags": []any{map[string]any{"slug": "proxbox"}}})
		if got, want := topKeys(t, r.raw), s.byPath["virtualization/virtual-machines"].fields; strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("%s: keys\n%v\nwant\n%v", v, got, want)
		}
		vm := r.m()
		if !jsonEq(t, vm["status"], map[string]any{"value": "active", "label": "Active"}) {
			t.Fatalf("%s: status %v", v, vm["status"])
		}
		if !strings.Contains(string(r.raw), `"status":{"value":"active","label":"Active"}`) {
			t.Fatalf("%s: choice order: %s", v, r.raw)
		}
		cl := vm["cluster"].(map[string]any)
		if cl["name"] != "pve-lab" || !strings.HasSuffix(cl["url"].(string), "/api/virtualization/clusters/1/") {
			t.Fatalf("%s: nested cluster %v", v, cl)
		}
		tag := vm["tags"].([]any)[0].(map[string]any)
		if tag["slug"] != "proxbox" || tag["color"] != "ff5722" {
			t.Fatalf("%s: nested tag %v", v, tag)
		}
		if vm["created"] != "2025-01-01T00:00:06Z" {
			t.Fatalf("%s: synthetic clock: %v", v, vm["created"])
		}
	}
}

func topKeys(t *testing.T, raw []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}
