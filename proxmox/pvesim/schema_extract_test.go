package pvesim

import (
	"encoding/json"
	"os"
	"testing"
)

// schemaExtractFile is a trimmed copy of the PVE 9.1 API schema (the flat
// {path: {METHOD: info}} form of pve-docs' apidata.js): for each served
// method only its "parameters" and "returns".
const schemaExtractFile = "testdata/pve-api-9.1-served.json"

// stripProse drops the human-readable keys: the tests need types only.
func stripProse(t *testing.T, raw json.RawMessage) json.RawMessage {
	if raw == nil {
		return nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	var walk func(v any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			for _, k := range []string{"description", "verbose_description", "typetext", "title", "renderer", "format_description"} {
				delete(x, k)
			}
			for k, e := range x {
				x[k] = walk(e)
			}
		case []any:
			for i, e := range x {
				x[i] = walk(e)
			}
		}
		return v
	}
	b, err := json.Marshal(walk(v))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestUpdateSchemaExtract regenerates schemaExtractFile from the full flat
// schema named by PVESIM_SCHEMA_SRC; without it the test is skipped, so CI
// never reads outside the repository.
func TestUpdateSchemaExtract(t *testing.T) {
	src := os.Getenv("PVESIM_SCHEMA_SRC")
	if src == "" {
		t.Skip("set PVESIM_SCHEMA_SRC to the flat PVE API schema to regenerate " + schemaExtractFile)
	}
	raw, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	var flat map[string]map[string]map[string]json.RawMessage
	if err := json.Unmarshal(raw, &flat); err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]map[string]json.RawMessage{}
	for _, rt := range routeTable() {
		info, ok := flat[rt.pattern][rt.method]
		if !ok {
			t.Fatalf("%s %s is not in the schema", rt.method, rt.pattern)
		}
		if out[rt.pattern] == nil {
			out[rt.pattern] = map[string]map[string]json.RawMessage{}
		}
		out[rt.pattern][rt.method] = map[string]json.RawMessage{
			"parameters": stripProse(t, info["parameters"]), "returns": stripProse(t, info["returns"])}
	}
	b, err := json.MarshalIndent(out, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll("testdata", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(schemaExtractFile, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}
