package layout

import (
	"strings"
	"testing"
)

func TestFit(t *testing.T) {
	if got := Fit("abcdef", 4, false); got != "abc…" {
		t.Errorf("fit: %q", got)
	}
	if got := Fit("日本語テキスト", 5, false); !strings.HasSuffix(got, "…") || Width(got) != 5 {
		t.Errorf("fit wide: %q (%d)", got, Width(got))
	}
}
