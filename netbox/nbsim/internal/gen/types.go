package main

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// extract is the generated file; nbsim decodes the same shape.
type extract struct {
	Source   map[string]string `json:"source"`
	Versions map[string]string `json:"versions"` // "4.3" -> "4.3.7"
	Models   []*model          `json:"models"`
}

type model struct {
	Key    string              `json:"key"`  // "virtualization.virtualmachine"
	Path   string              `json:"path"` // "virtualization/virtual-machines" under /api/
	Plugin bool                `json:"plugin,omitempty"`
	Since  string              `json:"since,omitempty"`
	Fields map[string][]string `json:"fields"` // version -> representation fields
	Brief  map[string][]string `json:"brief"`
	// Nested is the form other serializers nest this model in, where it
	// differs from the brief one (plugin models only).
	Nested []string              `json:"nested,omitempty"`
	Write  map[string]*fieldSpec `json:"write"`
}

// fieldSpec describes one writable field of a request body.
type fieldSpec struct {
	Type      string              `json:"type"` // string integer number boolean datetime date json fk idlist strlist tags custom_fields ip
	Required  bool                `json:"required,omitempty"`
	Nullable  bool                `json:"nullable,omitempty"`
	NotBlank  bool                `json:"not_blank,omitempty"`
	MaxLength int                 `json:"max_length,omitempty"`
	Min       *float64            `json:"min,omitempty"`
	Max       *float64            `json:"max,omitempty"`
	ExclMax   bool                `json:"excl_max,omitempty"`
	Decimals  int                 `json:"decimals,omitempty"`
	MaxDigits int                 `json:"max_digits,omitempty"` // DecimalField max_digits, when Max is a real bound
	Pattern   string              `json:"pattern,omitempty"`
	Enum      []string            `json:"enum,omitempty"`
	EnumBy    map[string][]string `json:"enum_by_version,omitempty"`
	Labels    map[string]string   `json:"labels,omitempty"` // rendered as {value,label}
	// AllowBlank: a choice field that also accepts "" (allow_blank).
	AllowBlank bool   `json:"allow_blank,omitempty"`
	To         string `json:"to,omitempty"` // fk / idlist target model
	// PK: a foreign key the serializer does not declare, so DRF renders
	// and accepts it as a bare primary key (PrimaryKeyRelatedField).
	PK bool `json:"pk,omitempty"`
	// Limit is the model field's limit_choices_to, which that field's
	// queryset applies.
	Limit map[string]any `json:"limit,omitempty"`
	// Nested names the nested serializer a declared foreign key renders
	// with, where it is not the target's brief form.
	Nested  string `json:"nested,omitempty"`
	Since   string `json:"since,omitempty"`
	Until   string `json:"until,omitempty"`
	Default any    `json:"default,omitempty"`
}

// --- input documents (only the parts read) ---

type openAPI struct {
	Info struct {
		Version string `json:"version"`
	} `json:"info"`
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		Schemas map[string]*schema `json:"schemas"`
	} `json:"components"`
}

type schema struct {
	Ref         string             `json:"$ref"`
	Type        string             `json:"type"`
	Format      string             `json:"format"`
	Properties  map[string]*schema `json:"properties"`
	Required    []string           `json:"required"`
	Enum        []any              `json:"enum"`
	Description string             `json:"description"`
	MaxLength   *int               `json:"maxLength"`
	MinLength   *int               `json:"minLength"`
	Minimum     *float64           `json:"minimum"`
	Maximum     *float64           `json:"maximum"`
	ExclMax     bool               `json:"exclusiveMaximum"`
	Pattern     string             `json:"pattern"`
	Nullable    bool               `json:"nullable"`
	ReadOnly    bool               `json:"readOnly"`
	OneOf       []*schema          `json:"oneOf"`
	AllOf       []*schema          `json:"allOf"`
	Items       *schema            `json:"items"`
}

type fieldsByVersion struct {
	Meta struct {
		GeneratedFrom string   `json:"generated_from"`
		Versions      []string `json:"versions"`
	} `json:"_meta"`
	Endpoints map[string]struct {
		ByVersion map[string]*struct {
			Fields []string `json:"fields"`
			Brief  []string `json:"brief_fields"`
		} `json:"by_version"`
	} `json:"endpoints"`
	Choices map[string]map[string][]string `json:"choices"`
}

type pluginContract struct {
	Meta struct {
		Source        string `json:"source"`
		PluginVersion string `json:"plugin_version"`
	} `json:"_meta"`
	Endpoints map[string]struct {
		Model            string          `json:"model"`
		SerializerFields json.RawMessage `json:"serializer_fields"` // list, or a tuple expression as text
		ModelFields      json.RawMessage `json:"model_fields"`      // ordered object
	} `json:"endpoints"`
	Choices map[string][]string `json:"choices"`
}

type pluginField struct {
	Type      string `json:"type"`
	MaxLength string `json:"max_length"`
	Null      string `json:"null"`
	Blank     string `json:"blank"`
	Default   string `json:"default"`
	Choices   string `json:"choices"`
	To        string `json:"to"`
	Unique    string `json:"unique"`
	Required  bool   `json:"required_on_create"`
	// Transcribed by hand for the models the contract does not cover:
	// MinValue/MaxValue validators, DecimalField digits, limit_choices_to.
	MinValue      string         `json:"min_value"`
	MaxValue      string         `json:"max_value"`
	MaxDigits     string         `json:"max_digits"`
	DecimalPlaces string         `json:"decimal_places"`
	Limit         map[string]any `json:"limit_choices_to"`
}

// orderedKeys returns the keys of a JSON object in document order (maps
// lose it, and field order is the representation order).
func orderedKeys(raw json.RawMessage) ([]string, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("not an object")
	}
	var keys []string
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		keys = append(keys, t.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil, err
		}
	}
	return keys, nil
}

func fptr(f float64) *float64 { return &f }
