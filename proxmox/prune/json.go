package prune

import (
	"bytes"
	"encoding/json"
)

// UnmarshalJSON accepts every wire form ParseValue accepts, so a struct field
// of type *Options decodes both GET /storage (property string) and
// GET /cluster/backup (object). An absent or null field leaves the pointer
// nil, which Effective treats as "not configured".
func (o *Options) UnmarshalJSON(data []byte) error {
	if bytes.Equal(bytes.TrimSpace(data), []byte("null")) {
		return nil
	}
	parsed, err := ParseValue(json.RawMessage(data))
	if err != nil {
		return err
	}
	*o = parsed
	return nil
}

// MarshalJSON writes the canonical property string, the form POST and PUT
// requests take.
func (o Options) MarshalJSON() ([]byte, error) {
	return json.Marshal(o.String())
}
