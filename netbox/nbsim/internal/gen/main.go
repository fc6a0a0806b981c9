// Command gen writes nbsim's schema extract: for every endpoint the
// simulator serves, the writable fields of the request body (types, limits,
// enums, required, foreign-key targets) and the fields and brief fields of
// the representation per NetBox version.
//
// It reads three reference documents, given by path:
//
//	go run ./netbox/nbsim/internal/gen \
//	    -openapi netbox-openapi-4.3.json \
//	    -fields netbox-fields-by-version.json \
//	    -contract proxbox-plugin-contract.json \
//	    -out netbox/nbsim/schema.json
//
// The NetBox core part comes from the 4.3 OpenAPI document, narrowed or
// widened per version with the serializer field lists; the few fields that
// 4.3 does not know (4.4+ additions, 4.0/4.1 leftovers) are listed in
// supplements.go. The plugin part comes from the plugin contract, except
// for the two models it does not cover (ProxmoxEndpoint and the settings
// singleton), which plugin_hand.go transcribes from the plugin's source.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
)

func main() {
	openapi := flag.String("openapi", "", "NetBox 4.3 OpenAPI document (JSON)")
	fields := flag.String("fields", "", "serializer fields per NetBox version (JSON)")
	contract := flag.String("contract", "", "netbox-proxbox plugin contract (JSON)")
	out := flag.String("out", "schema.json", "output file")
	flag.Parse()
	if *openapi == "" || *fields == "" || *contract == "" {
		flag.Usage()
		os.Exit(2)
	}
	ex, err := build(*openapi, *fields, *contract)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	b, err := encode(ex)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, b, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func build(openapiPath, fieldsPath, contractPath string) (*extract, error) {
	var api openAPI
	if err := readJSON(openapiPath, &api); err != nil {
		return nil, err
	}
	var fbv fieldsByVersion
	if err := readJSON(fieldsPath, &fbv); err != nil {
		return nil, err
	}
	var pc pluginContract
	if err := readJSON(contractPath, &pc); err != nil {
		return nil, err
	}
	ex := &extract{
		Versions: versionTags(fbv),
		Source: map[string]string{
			"openapi":  api.Info.Version,
			"fields":   fbv.Meta.GeneratedFrom,
			"contract": pc.Meta.Source + " plugin " + pc.Meta.PluginVersion,
		},
	}
	for _, c := range coreModels {
		m, err := coreModel(&api, &fbv, c, ex.Versions)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.key, err)
		}
		ex.Models = append(ex.Models, m)
	}
	for _, p := range pluginModels {
		m, err := pluginModel(&pc, p)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p.key, err)
		}
		ex.Models = append(ex.Models, m)
	}
	return ex, nil
}

// encode writes one model per line: compact, yet a regenerated file diffs
// per model.
func encode(ex *extract) ([]byte, error) {
	var buf bytes.Buffer
	head, err := json.Marshal(struct {
		Source   map[string]string `json:"source"`
		Versions map[string]string `json:"versions"`
	}{ex.Source, ex.Versions})
	if err != nil {
		return nil, err
	}
	buf.Write(head[:len(head)-1])
	buf.WriteString(",\"models\":[\n")
	for i, m := range ex.Models {
		b, err := json.Marshal(m)
		if err != nil {
			return nil, err
		}
		buf.Write(b)
		if i < len(ex.Models)-1 {
			buf.WriteByte(',')
		}
		buf.WriteByte('\n')
	}
	buf.WriteString("]}\n")
	return buf.Bytes(), nil
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
