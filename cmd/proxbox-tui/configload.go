package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// ConfigError names the file, line and key of a configuration mistake.
type ConfigError struct {
	File string
	Line int
	Key  string
	Msg  string
}

func (e *ConfigError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s: %s", e.File, e.Line, e.Key, e.Msg)
	}
	return fmt.Sprintf("%s: %s: %s", e.File, e.Key, e.Msg)
}

// Secret is a resolved secret. It formats as "[redacted]" everywhere.
type Secret struct {
	value  string
	Source string // "env NAME", "file PATH" or "inline"; "" when unset
}

// Value returns the secret itself; only transports should call it.
func (s Secret) Value() string { return s.value }

// IsSet reports whether a secret was configured.
func (s Secret) IsSet() bool { return s.Source != "" }

func (s Secret) String() string {
	if !s.IsSet() {
		return ""
	}
	return "[redacted]"
}

// GoString keeps %#v from printing the value.
func (s Secret) GoString() string { return `Secret{"[redacted]"}` }

// MarshalJSON never exports the value.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(strconv.Quote(s.String())), nil }

// LoadOptions are the outside world a load depends on (tests replace them).
type LoadOptions struct {
	Getenv   func(string) string
	ReadFile func(string) ([]byte, error)
	Stat     func(string) (os.FileInfo, error)
}

func (o *LoadOptions) fill() {
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.ReadFile == nil {
		o.ReadFile = os.ReadFile
	}
	if o.Stat == nil {
		o.Stat = os.Stat
	}
}

// LoadConfig reads and validates the configuration at path. Warnings are
// problems that do not stop the program (an inline secret in a file others
// can read). A missing file returns ErrNoConfig wrapped with the path.
func LoadConfig(path string, opts LoadOptions) (*Config, []string, error) {
	opts.fill()
	data, err := opts.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, fmt.Errorf("%s: %w", path, ErrNoConfig)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read config: %w", err)
	}
	var mode os.FileMode
	if fi, err := opts.Stat(path); err == nil {
		mode = fi.Mode().Perm()
	}
	return ParseConfig(path, data, mode, opts)
}

// ParseConfig decodes and validates configuration text; file names it in
// errors and mode is its permission bits (for the inline-secret warning).
func ParseConfig(file string, data []byte, mode os.FileMode, opts LoadOptions) (*Config, []string, error) {
	opts.fill()
	l := &configLoader{file: file, mode: mode, opts: opts, lines: map[string]int{}}
	cfg := &Config{File: file}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) { // empty file: empty config
		return nil, nil, l.yamlError(err)
	}
	if len(doc.Content) > 0 {
		l.decode(doc.Content[0], reflect.ValueOf(cfg).Elem(), "")
	}
	if len(l.errs) == 0 {
		cfg.applyDefaults()
		l.validate(cfg)
	}
	if len(l.errs) > 0 {
		return nil, l.warnings, errors.Join(l.errs...)
	}
	return cfg, l.warnings, nil
}

type configLoader struct {
	file     string
	mode     os.FileMode
	opts     LoadOptions
	errs     []error
	warnings []string
	lines    map[string]int // key path -> line, for validation errors
}

func (l *configLoader) fail(line int, key, format string, args ...any) {
	if key == "" {
		key = "(document)"
	}
	l.errs = append(l.errs, &ConfigError{File: l.file, Line: line, Key: key, Msg: fmt.Sprintf(format, args...)})
}

func (l *configLoader) failAt(key, format string, args ...any) {
	l.fail(l.lines[key], key, format, args...)
}

func (l *configLoader) yamlError(err error) error {
	// yaml.v3 says "yaml: line 3: mapping values are not allowed ...".
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if i := strings.Index(rest, ":"); i > 0 {
			if n, err := strconv.Atoi(rest[:i]); err == nil {
				line, msg = n, strings.TrimSpace(rest[i+1:])
			}
		}
	}
	return &ConfigError{File: l.file, Line: line, Key: "(syntax)", Msg: msg}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "something else"
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// decode walks the YAML tree into v, naming every mistake with its key path.
func (l *configLoader) decode(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if path != "" {
		l.lines[path] = n.Line
	}
	if isNull(n) {
		return
	}
	switch v.Interface().(type) {
	case Duration:
		l.decodeDuration(n, v, path)
		return
	case Secret:
		l.decodeSecret(n, v, path, "inline")
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		l.decode(n, v.Elem(), path)
	case reflect.Struct:
		l.decodeStruct(n, v, path)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			l.fail(n.Line, path, "want a list, got %s", nodeKind(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			l.decode(item, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
		v.Set(s)
	default:
		if n.Kind != yaml.ScalarNode {
			l.fail(n.Line, path, "want %s, got %s", scalarWant(v.Kind()), nodeKind(n))
			return
		}
		if v.Kind() == reflect.String && n.ShortTag() != "!!str" && n.ShortTag() != "!!int" && n.ShortTag() != "!!float" {
			l.fail(n.Line, path, "want a string, got %s (quote it)", nodeKind(n))
			return
		}
		if err := n.Decode(v.Addr().Interface()); err != nil {
			l.fail(n.Line, path, "want %s, got %q", scalarWant(v.Kind()), n.Value)
		}
	}
}

func scalarWant(k reflect.Kind) string {
	switch k {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int64:
		return "a whole number"
	case reflect.Float64:
		return "a number"
	}
	return "a string"
}

func (l *configLoader) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		l.fail(n.Line, path, "want a mapping of keys, got %s", nodeKind(n))
		return
	}
	fields := map[string]int{}
	var known []string
	for i := 0; i < v.NumField(); i++ {
		tag := v.Type().Field(i).Tag.Get("yaml")
		if tag == "" || tag == "-" {
			continue
		}
		fields[tag] = i
		if _, ok := v.Field(i).Interface().(Secret); ok {
			known = append(known, tag, tag+"_env", tag+"_file")
		} else {
			known = append(known, tag)
		}
	}
	seen := map[string]int{}
	secretsSet := map[string]string{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		key := join(path, k.Value)
		if line, dup := seen[k.Value]; dup {
			l.fail(k.Line, key, "duplicate key (first at line %d)", line)
			continue
		}
		seen[k.Value] = k.Line
		name, source := k.Value, "inline"
		for _, suffix := range []string{"_env", "_file"} {
			if base, ok := strings.CutSuffix(k.Value, suffix); ok {
				if idx, ok := fields[base]; ok {
					if _, isSecret := v.Field(idx).Interface().(Secret); isSecret {
						name, source = base, suffix[1:]
					}
				}
			}
		}
		idx, ok := fields[name]
		if !ok {
			l.fail(k.Line, key, "unknown key%s", suggest(k.Value, known))
			continue
		}
		if _, isSecret := v.Field(idx).Interface().(Secret); isSecret {
			if other, dup := secretsSet[name]; dup {
				l.fail(k.Line, key, "%s is already set by %s: give one of %s, %s_env, %s_file", name, other, name, name, name)
				continue
			}
			secretsSet[name] = k.Value
			l.lines[key] = val.Line
			l.decodeSecret(val, v.Field(idx), key, source)
			continue
		}
		l.decode(val, v.Field(idx), key)
		l.lines[key] = k.Line // errors about a section point at its key
	}
}

func (l *configLoader) decodeDuration(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.ScalarNode {
		l.fail(n.Line, path, "want a duration such as 30s or 5m, got %s", nodeKind(n))
		return
	}
	if secs, err := strconv.ParseFloat(n.Value, 64); err == nil {
		v.Set(reflect.ValueOf(Duration(secs * float64(time.Second))))
	} else if d, err := time.ParseDuration(n.Value); err == nil {
		v.Set(reflect.ValueOf(Duration(d)))
	} else {
		l.fail(n.Line, path, "want a duration such as 30s or 5m, got %q", n.Value)
		return
	}
	if v.Interface().(Duration) < 0 {
		l.fail(n.Line, path, "must not be negative, got %q", n.Value)
	}
}

func (l *configLoader) decodeSecret(n *yaml.Node, v reflect.Value, key, source string) {
	if n.Kind != yaml.ScalarNode || isNull(n) {
		l.fail(n.Line, key, "want a string, got %s", nodeKind(n))
		return
	}
	var s Secret
	switch source {
	case "env":
		val, ok := lookupEnv(l.opts.Getenv, n.Value)
		if !ok || val == "" {
			l.fail(n.Line, key, "environment variable %s is not set or empty", n.Value)
			return
		}
		s = Secret{value: val, Source: "env " + n.Value}
	case "file":
		path := expandHome(n.Value)
		data, err := l.opts.ReadFile(path)
		if err != nil {
			l.fail(n.Line, key, "cannot read secret file %s: %v", path, unwrapPathError(err))
			return
		}
		val := strings.TrimRight(string(data), "\r\n")
		if val == "" {
			l.fail(n.Line, key, "secret file %s is empty", path)
			return
		}
		s = Secret{value: val, Source: "file " + path}
	default:
		if n.Value == "" {
			l.fail(n.Line, key, "is empty")
			return
		}
		s = Secret{value: n.Value, Source: "inline"}
		if l.mode&0o077 != 0 {
			l.warnings = append(l.warnings, fmt.Sprintf(
				"%s:%d: %s: inline secret in a file readable by group or others (mode %04o): run chmod 600 %s, or use %s_env / %s_file",
				l.file, n.Line, key, l.mode, l.file, lastKey(key), lastKey(key)))
		}
	}
	v.Set(reflect.ValueOf(s))
}

func lookupEnv(getenv func(string) string, name string) (string, bool) {
	v := getenv(name)
	return v, v != ""
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func lastKey(path string) string {
	if i := strings.LastIndex(path, "."); i >= 0 {
		return path[i+1:]
	}
	return path
}

// suggest names the closest known key, or lists them.
func suggest(got string, known []string) string {
	best, bestDist := "", 3
	for _, k := range known {
		if d := editDistance(got, k); d < bestDist {
			best, bestDist = k, d
		}
	}
	if best != "" {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	sorted := slices.Clone(known)
	slices.Sort(sorted)
	return " (known keys: " + strings.Join(sorted, ", ") + ")"
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
