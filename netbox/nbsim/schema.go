package nbsim

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// schemaJSON is the extract written by internal/gen from NetBox's 4.3
// OpenAPI document, the serializer field lists per version and the
// netbox-proxbox plugin contract.
//
//go:embed schema.json
var schemaJSON []byte

type schemaFile struct {
	Versions map[string]string `json:"versions"`
	Models   []*schemaModel    `json:"models"`
}

type schemaModel struct {
	Key    string                `json:"key"`
	Path   string                `json:"path"`
	Plugin bool                  `json:"plugin"`
	Since  string                `json:"since"`
	Fields map[string][]string   `json:"fields"`
	Brief  map[string][]string   `json:"brief"`
	Nested []string              `json:"nested"`
	Write  map[string]*fieldSpec `json:"write"`
}

// fieldSpec is one writable request field (see internal/gen).
type fieldSpec struct {
	Type      string              `json:"type"`
	Required  bool                `json:"required"`
	Nullable  bool                `json:"nullable"`
	NotBlank  bool                `json:"not_blank"`
	MaxLength int                 `json:"max_length"`
	Min       *float64            `json:"min"`
	Max       *float64            `json:"max"`
	ExclMax   bool                `json:"excl_max"`
	Decimals  int                 `json:"decimals"`
	MaxDigits int                 `json:"max_digits"`
	Pattern   string              `json:"pattern"`
	Enum      []string            `json:"enum"`
	EnumBy    map[string][]string `json:"enum_by_version"`
	Labels    map[string]string   `json:"labels"`
	// AllowBlank: a choice field that also takes "".
	AllowBlank bool   `json:"allow_blank"`
	To         string `json:"to"`
	// PK: a foreign key rendered and written as a bare primary key
	// (DRF's PrimaryKeyRelatedField); Limit is its limit_choices_to.
	PK    bool           `json:"pk"`
	Limit map[string]any `json:"limit"`
	// Nested names the nested serializer of a foreign key whose form is
	// not the target's brief one.
	Nested  string `json:"nested"`
	Since   string `json:"since"`
	Until   string `json:"until"`
	Default any    `json:"default"`

	re *regexp.Regexp
}

// field is a fieldSpec as it applies in one version.
type field struct {
	name string
	*fieldSpec
	enum map[string]bool
}

// view is one model as one NetBox version serves it.
type view struct {
	key, path string
	plugin    bool
	fields    []string
	brief     []string
	nested    []string // the form other models nest it in; nil = brief
	write     map[string]*field
	fks       []*field // fk fields, sorted by name
	beh       *behaviour
}

// loadViews builds the views of every model that exists in version v.
func loadViews(v string, plugin bool) (map[string]*view, string, error) {
	var sf schemaFile
	if err := json.Unmarshal(schemaJSON, &sf); err != nil {
		return nil, "", fmt.Errorf("nbsim: schema: %w", err)
	}
	full, ok := sf.Versions[v]
	if !ok {
		return nil, "", fmt.Errorf("nbsim: unsupported NetBox version %q", v)
	}
	out := map[string]*view{}
	for _, m := range sf.Models {
		if m.Plugin && !plugin {
			continue
		}
		if m.Since != "" && versionLess(v, m.Since) {
			continue
		}
		vw := &view{key: m.Key, path: m.Path, plugin: m.Plugin, write: map[string]*field{}}
		vw.fields, vw.brief, vw.nested = carried(m.Fields, v), carried(m.Brief, v), m.Nested
		for name, spec := range m.Write {
			if spec.Since != "" && versionLess(v, spec.Since) || spec.Until != "" && versionLess(spec.Until, v) {
				continue
			}
			if spec.Pattern != "" {
				// RE2's \w is ASCII-only where Python's is Unicode; slugs
				// from a sync are ASCII.
				spec.re = regexp.MustCompile(spec.Pattern)
			}
			f := &field{name: name, fieldSpec: spec}
			enum := spec.Enum
			if e, ok := spec.EnumBy[v]; ok {
				enum = e
			}
			if enum != nil {
				f.enum = map[string]bool{}
				for _, e := range enum {
					f.enum[e] = true
				}
			}
			vw.write[name] = f
			if spec.Type == "fk" {
				vw.fks = append(vw.fks, f)
			}
		}
		sort.Slice(vw.fks, func(i, j int) bool { return vw.fks[i].name < vw.fks[j].name })
		vw.beh = behaviourOf(m.Key, v)
		out[m.Key] = vw
	}
	return out, full, nil
}

// carried returns the list for v: plugin lists are keyed "*", core lists
// are stored only where they change, so take the newest at or below v.
func carried(byVersion map[string][]string, v string) []string {
	if l, ok := byVersion["*"]; ok {
		return l
	}
	best := ""
	for k := range byVersion {
		if !versionLess(v, k) && (best == "" || versionLess(best, k)) {
			best = k
		}
	}
	return byVersion[best]
}

// versionLess compares "major.minor" strings.
func versionLess(a, b string) bool {
	var am, an, bm, bn int
	fmt.Sscanf(a, "%d.%d", &am, &an)
	fmt.Sscanf(b, "%d.%d", &bm, &bn)
	if am != bm {
		return am < bm
	}
	return an < bn
}

// atLeast reports whether version v is min or newer.
func atLeast(v, min string) bool { return !versionLess(v, min) }

func appLabel(key string) string { return key[:strings.IndexByte(key, '.')] }
