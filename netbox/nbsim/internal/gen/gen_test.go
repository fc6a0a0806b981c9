package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestExtractUpToDate regenerates the extract from the reference documents
// in $NBSIM_REFERENCE_DATA and compares it with the committed one; without
// the variable it is skipped, so CI reads nothing outside the repository.
func TestExtractUpToDate(t *testing.T) {
	dir := os.Getenv("NBSIM_REFERENCE_DATA")
	if dir == "" {
		t.Skip("set NBSIM_REFERENCE_DATA to the directory holding the NetBox OpenAPI, field and plugin documents")
	}
	ex, err := build(filepath.Join(dir, "netbox-openapi-4.3.json"), filepath.Join(dir, "netbox-fields-by-version.json"),
		filepath.Join(dir, "proxbox-plugin-contract.json"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := encode(ex)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../../schema.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("schema.json is stale: regenerate it with this command (see main.go)")
	}
}
