package nbsim

import (
	"encoding/json"
	"sort"
)

// Versions lists the NetBox major.minor versions the simulator emulates,
// oldest first.
func Versions() []string {
	var sf struct {
		Versions map[string]string `json:"versions"`
	}
	if err := json.Unmarshal(schemaJSON, &sf); err != nil {
		return nil
	}
	out := make([]string, 0, len(sf.Versions))
	for v := range sf.Versions {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return versionLess(out[i], out[j]) })
	return out
}

// TokenV2Since is the first version that accepts v2 tokens ("nbt_...",
// sent as "Bearer"); with Options.Tokens nil it accepts DefaultTokenV2.
const TokenV2Since = "4.5"

// AcceptsTokenV2 reports whether NetBox version v accepts v2 tokens.
func AcceptsTokenV2(v string) bool { return atLeast(v, TokenV2Since) }
