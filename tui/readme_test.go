package tui

import (
	"bytes"
	"flag"
	"os"
	"testing"
)

// README's key table is the registry's: KeyTable(RoleOperator) between
// these markers. With -update the test writes it there.
const (
	keyTableBegin = "<!-- key table: written from the key registry (tui/keys.go); go test ./tui -run TestREADMEKeyTable -update rewrites it -->\n"
	keyTableEnd   = "<!-- end of key table -->\n"
)

func TestREADMEKeyTable(t *testing.T) {
	const path = "../README.md"
	readme, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	begin := bytes.Index(readme, []byte(keyTableBegin))
	end := bytes.Index(readme, []byte(keyTableEnd))
	if begin < 0 || end < begin {
		t.Fatalf("README.md has no key table between the markers\n%s%s", keyTableBegin, keyTableEnd)
	}
	begin += len(keyTableBegin)
	want := KeyTable(RoleOperator)
	if got := string(readme[begin:end]); got != want {
		if u := flag.Lookup("update"); u != nil && u.Value.String() == "true" {
			out := append(append(append([]byte{}, readme[:begin]...), want...), readme[end:]...)
			if err := os.WriteFile(path, out, 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("README.md's key table differs from the key registry; it should be:\n\n%s\n"+
			"(go test ./tui -run TestREADMEKeyTable -update writes it)", want)
	}
}
