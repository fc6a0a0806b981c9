package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

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
	Getenv func(string) string
	// ReadFile replaces the reading of the configuration and of secret
	// files (only regular files, bounded in size and time: readFileBounded);
	// what it returns is still bounded in size.
	ReadFile func(string) ([]byte, error)
	Stat     func(string) (os.FileInfo, error)
	// SkipSecrets leaves *_env and *_file secrets unresolved (they only
	// count as set), for commands that need the configuration's paths.
	SkipSecrets bool
}

func (o *LoadOptions) fill() {
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.Stat == nil {
		o.Stat = os.Stat
	}
}

// readFile reads a file the configuration depends on, at most limit bytes.
func (o *LoadOptions) readFile(path string, limit int64, noun string) ([]byte, error) {
	if o.ReadFile == nil {
		return readFileBounded(path, limit, noun)
	}
	data, err := o.ReadFile(path)
	if err == nil && int64(len(data)) > limit {
		return nil, &fileProblem{path: path, problem: fmt.Sprintf("is %d bytes, more than the %s %s may have", len(data), sizeText(limit), noun)}
	}
	return data, err
}

// Bounds of what the loader reads and reports.
const (
	maxConfigSize     = 1 << 20  // the configuration file
	maxSecretFileSize = 64 << 10 // a *_file secret
	maxCAFileSize     = 1 << 20  // a tls.ca_file bundle (checked here, read by the clients)
	fileReadTimeout   = 5 * time.Second
	maxConfigErrors   = 20     // errors reported; the rest are counted
	maxConfigValues   = 100000 // YAML nodes visited, aliases expanded
	maxShownKey       = 120    // bytes of a key path in a message
	maxShownMsg       = 1000   // bytes of a message (a list of known keys fits)
)

// LoadConfig reads and validates the configuration at path. Warnings are
// problems that do not stop the program (an inline secret in a file others
// can read). A missing file returns ErrNoConfig wrapped with the path; a
// file that is not a regular file or is larger than 1 MiB is refused
// before it is parsed.
func LoadConfig(path string, opts LoadOptions) (*Config, []string, error) {
	opts.fill()
	data, err := opts.readFile(path, maxConfigSize, "a configuration file")
	var fp *fileProblem
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, nil, fmt.Errorf("%s: %w", path, ErrNoConfig)
	case errors.As(err, &fp):
		return nil, nil, fmt.Errorf("config %w", err)
	case err != nil:
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
		errs := l.errs
		if l.dropped > 0 {
			errs = append(errs, &ConfigError{File: file, Key: "(document)",
				Msg: fmt.Sprintf("and %d more errors (the first %d are shown)", l.dropped, maxConfigErrors)})
		}
		return nil, l.warnings, errors.Join(errs...)
	}
	return cfg, l.warnings, nil
}

type configLoader struct {
	file     string
	mode     os.FileMode
	opts     LoadOptions
	errs     []error
	dropped  int // errors beyond maxConfigErrors, counted only
	values   int // nodes decoded, aliases expanded
	warnings []string
	lines    map[string]int // key path -> line, for validation errors
}

// full reports whether no further error is reported, only counted.
func (l *configLoader) full() bool { return len(l.errs) >= maxConfigErrors }

func (l *configLoader) fail(line int, key, format string, args ...any) {
	if l.full() {
		l.dropped++
		return
	}
	if key == "" {
		key = "(document)"
	}
	l.errs = append(l.errs, &ConfigError{File: l.file, Line: line, Key: clipText(key, maxShownKey),
		Msg: clipText(fmt.Sprintf(format, args...), maxShownMsg)})
}

// clipText shortens s to at most n bytes (on a character boundary).
func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - 3
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
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
	if l.values++; l.values > maxConfigValues {
		if l.values == maxConfigValues+1 {
			l.fail(n.Line, path, "the configuration has more than %d values (with YAML aliases expanded): it is not read further", maxConfigValues)
		}
		return
	}
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
			if l.full() {
				l.dropped++ // no suggestion computed for what is not shown
			} else {
				l.fail(k.Line, key, "unknown key%s", suggest(k.Value, known))
			}
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
	base := strings.TrimSuffix(strings.TrimSuffix(lastKey(key), "_env"), "_file")
	switch source {
	case "env":
		name := n.Value
		if !envVarName.MatchString(name) {
			// Never echoed: what is not a name may well be the secret.
			l.fail(n.Line, key, "is not an environment variable name (letters, digits and _, not starting with a digit); the value is not shown, as it may be a secret: a secret itself belongs in %s_file or %s", base, base)
			return
		}
		if l.opts.SkipSecrets {
			s = Secret{Source: "env " + name}
			break
		}
		val, ok := lookupEnv(l.opts.Getenv, name)
		if !ok || val == "" {
			if conventionalEnvName.MatchString(name) {
				l.fail(n.Line, key, "environment variable %s is not set or empty", name)
			} else {
				l.fail(n.Line, key, "the environment variable named here is not set or empty (the name is not shown, as it is not in capitals and may be a secret)")
			}
			return
		}
		s = Secret{value: val, Source: "env " + name}
	case "file":
		path := expandHome(n.Value)
		if l.opts.SkipSecrets {
			s = Secret{Source: "file " + path}
			break
		}
		data, err := l.opts.readFile(path, maxSecretFileSize, "a secret file")
		var fp *fileProblem
		switch {
		case errors.As(err, &fp):
			l.fail(n.Line, key, "%v", fp)
			return
		case errors.Is(err, os.ErrNotExist) && !looksLikePath(n.Value):
			// Never echoed: what does not look like a path may be the secret.
			l.fail(n.Line, key, "no such file (the value is not shown: it does not look like a path and may be a secret; give the path of the file that holds %s)", base)
			return
		case err != nil:
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

var (
	envVarName          = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,127}$`)
	conventionalEnvName = regexp.MustCompile(`^[A-Z_][A-Z0-9_]*$`)
)

// looksLikePath reports whether a *_file value is written as a path (it
// has a directory part or starts with ~), rather than as a bare word.
func looksLikePath(v string) bool {
	return strings.ContainsRune(v, '/') || strings.HasPrefix(v, "~") || strings.ContainsRune(v, os.PathSeparator)
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

// fileProblem is a file the loader refuses to read: not a regular file,
// too large, or too slow. Its message starts with the path.
type fileProblem struct {
	path, problem string
}

func (e *fileProblem) Error() string { return e.path + " " + e.problem }

// readFileBounded reads a regular file of at most limit bytes within
// fileReadTimeout. A named pipe, a device (/dev/zero), a directory or a
// socket is refused before it is opened, so nothing blocks on it; the
// file is opened without blocking and checked again once open, so a file
// swapped in meanwhile is refused too. noun names the file in messages
// ("a secret file").
func readFileBounded(path string, limit int64, noun string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if err := checkFileInfo(path, fi, limit, noun); err != nil {
		return nil, err
	}
	type result struct {
		data []byte
		err  error
	}
	done := make(chan result, 1) // the reader never blocks on sending
	go func() {
		data, err := readOpened(path, fi, limit, noun)
		done <- result{data, err}
	}()
	timer := time.NewTimer(fileReadTimeout)
	defer timer.Stop()
	select {
	case r := <-done:
		return r.data, r.err
	case <-timer.C:
		// Only a regular file on a stuck disk or network mount gets here;
		// its read cannot be interrupted, and ends with the process.
		return nil, &fileProblem{path: path, problem: fmt.Sprintf("could not be read within %s", fileReadTimeout)}
	}
}

func readOpened(path string, want os.FileInfo, limit int64, noun string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if err := checkFileInfo(path, fi, limit, noun); err != nil {
		return nil, err
	}
	if !os.SameFile(want, fi) {
		return nil, &fileProblem{path: path, problem: "was replaced while it was opened"}
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, &fileProblem{path: path, problem: fmt.Sprintf("has more than the %s %s may have", sizeText(limit), noun)}
	}
	return data, nil
}

// checkFileInfo refuses what is not a regular file of at most limit bytes.
func checkFileInfo(path string, fi os.FileInfo, limit int64, noun string) error {
	m := fi.Mode()
	what := ""
	switch {
	case m.IsRegular():
		if fi.Size() > limit {
			return &fileProblem{path: path, problem: fmt.Sprintf("is %d bytes, more than the %s %s may have", fi.Size(), sizeText(limit), noun)}
		}
		return nil
	case m&fs.ModeNamedPipe != 0:
		what = "a named pipe"
	case m&fs.ModeSocket != 0:
		what = "a socket"
	case m&fs.ModeCharDevice != 0:
		what = "a character device"
	case m&fs.ModeDevice != 0:
		what = "a block device"
	case m.IsDir():
		what = "a directory"
	default:
		what = "a special file"
	}
	return &fileProblem{path: path, problem: "is " + what + ", not a regular file"}
}

// sizeText writes a bound in KiB or MiB.
func sizeText(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
