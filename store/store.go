package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
)

// SchemaVersion is the bucket layout this binary reads and writes.
const SchemaVersion = 4

// schemaLayout is the record layout of SchemaVersion (a hash of every
// record's encoded fields). A change to the records changes it; a test
// then asks for a new SchemaVersion, so that an older binary refuses a
// newer file instead of rebuilding it empty.
const schemaLayout = "383acb0b110b4a20"

// Store is the bbolt-backed cache of every record kind, with a change feed.
// It is safe for concurrent use; one process owns the file at a time.
type Store struct {
	db       *bolt.DB
	path     string
	codec    *codec
	readOnly bool

	// damage is set once a read found the file damaged (it faulted or bbolt
	// panicked on it); every later read returns it.
	damage  atomic.Pointer[DamagedError]
	closeDB sync.Once

	mu   sync.Mutex
	subs map[*Subscription]struct{}
}

// Options tune Open.
type Options struct {
	// LockTimeout bounds the wait for another process's lock; default 1s.
	LockTimeout time.Duration
	// Owner describes this process in the lock-holder file that a second
	// process reads to say who holds the cache. Zero value: pid and argv.
	Owner Owner
	// ReadOnly opens an existing cache to read it: a missing or empty file
	// is a *MissingError, an older schema is refused instead of rebuilt,
	// nothing is created or written (not even the lock-holder file), and
	// the lock is shared with other readers. Writes fail.
	ReadOnly bool
}

var (
	bucketMeta   = []byte("meta")
	bucketScopes = []byte("scopes")
	keySchema    = []byte("schema")
	keyLayout    = []byte("layout")
)

// Open opens or creates the cache at path. A file locked by another process
// fails within LockTimeout with a *LockedError; a file written by a newer
// binary fails with a *SchemaError; an older layout is rebuilt (it is a cache:
// the next refresh fills it again) unless opts.ReadOnly. A file that is not
// a proxbox-tui cache (not a regular file, not a bbolt file, another
// program's bbolt file) fails with a *ForeignError, a truncated or damaged
// one with a *DamagedError; such files are neither mapped nor written.
func Open(path string, opts Options) (*Store, error) {
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = time.Second
	}
	switch fi, err := os.Stat(path); {
	case errors.Is(err, fs.ErrNotExist):
		if opts.ReadOnly {
			return nil, &MissingError{Path: path}
		}
	case err != nil:
		return nil, fmt.Errorf("open cache %s: %w", path, err)
	case !fi.Mode().IsRegular():
		return nil, &ForeignError{Path: path, What: fileKind(fi.Mode()) + ", not a regular file"}
	}
	bopts := &bolt.Options{
		Timeout:      opts.LockTimeout,
		ReadOnly:     opts.ReadOnly,
		FreelistType: bolt.FreelistMapType,
		OpenFile: func(name string, flag int, perm os.FileMode) (*os.File, error) {
			return openChecked(name, flag, perm, opts)
		},
	}
	if !opts.ReadOnly {
		// Reserve address space up front: each remap of a growing file
		// copies every live node out of the old mapping.
		bopts.InitialMmapSize = 1 << 30
	}
	db, err := openBolt(path, bopts)
	if err != nil {
		var missing *MissingError
		var foreign *ForeignError
		var damaged *DamagedError
		switch {
		case errors.Is(err, bolt.ErrTimeout):
			return nil, &LockedError{Path: path, Holder: readOwner(ownerPath(path))}
		case errors.As(err, &missing), errors.As(err, &foreign), errors.As(err, &damaged):
			return nil, err
		}
		return nil, fmt.Errorf("open cache %s: %w (it is only a cache: move it aside or pass --cache FILE to start a new one)", path, err)
	}
	s := &Store{db: db, path: path, codec: newCodec(), readOnly: opts.ReadOnly, subs: map[*Subscription]struct{}{}}
	if err := s.prepareSchema(); err != nil {
		s.closeBolt()
		return nil, err
	}
	if !opts.ReadOnly {
		writeOwner(ownerPath(path), opts.Owner)
	}
	return s, nil
}

// openBolt is bolt.Open with a fault or panic while it reads the file (its
// checks passed, so only a file changed under it) turned into an error.
func openBolt(path string, opts *bolt.Options) (db *bolt.DB, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			db, err = nil, &DamagedError{Path: path, Problem: panicProblem(r)}
		}
	}()
	return bolt.Open(path, 0o600, opts)
}

// openChecked opens the file for bbolt: never blocking on something that
// is not a regular file, locked as bbolt locks it, and checked by
// verifyFile before bbolt maps it.
func openChecked(path string, flag int, perm os.FileMode, opts Options) (*os.File, error) {
	f, err := os.OpenFile(path, flag|syscall.O_NONBLOCK, perm)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*os.File, error) {
		f.Close()
		return nil, err
	}
	fi, err := f.Stat()
	switch {
	case err != nil:
		return fail(err)
	case !fi.Mode().IsRegular():
		return fail(&ForeignError{Path: path, What: fileKind(fi.Mode()) + ", not a regular file"})
	}
	if err := lockFile(f, !opts.ReadOnly, opts.LockTimeout); err != nil {
		return fail(err)
	}
	// Under the lock no writer changes the file; look again.
	if fi, err = f.Stat(); err != nil {
		return fail(err)
	}
	if fi.Size() == 0 {
		if opts.ReadOnly {
			return fail(&MissingError{Path: path, Empty: true})
		}
		return f, nil // bbolt writes its first pages
	}
	if err := verifyFile(f, fi.Size()); err != nil {
		if errors.Is(err, errNotBolt) {
			return fail(&ForeignError{Path: path, What: "not a bbolt file"})
		}
		return fail(&DamagedError{Path: path, Problem: err.Error()})
	}
	return f, nil
}

// fileKind names what a non-regular file is.
func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m.IsDir():
		return "a directory"
	}
	return "a special file"
}

// Path returns the cache file's path.
func (s *Store) Path() string { return s.path }

// ReadOnly reports whether the store was opened with Options.ReadOnly.
func (s *Store) ReadOnly() bool { return s.readOnly }

// Close releases the file lock and ends every subscription.
func (s *Store) Close() error {
	s.mu.Lock()
	for sub := range s.subs {
		sub.close()
	}
	s.subs = map[*Subscription]struct{}{}
	s.mu.Unlock()
	if !s.readOnly {
		os.Remove(ownerPath(s.path))
	}
	return s.closeBolt()
}

func (s *Store) closeBolt() error {
	var err error
	s.closeDB.Do(func() { err = s.db.Close() })
	return err
}

// Check runs the consistency checks over the whole file: the structural
// walk Open runs, then bbolt's own check (pages leaked or freed twice, key
// order). Writers of this process wait for it.
func (s *Store) Check() error {
	if d := s.damage.Load(); d != nil {
		return d
	}
	var tx *bolt.Tx
	var err error
	if err := s.guard(func() error { tx, err = s.db.Begin(!s.readOnly); return err }); err != nil {
		return err
	}
	defer tx.Rollback() // a write transaction here only keeps writers out; it writes nothing
	f, err := os.Open(s.path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if err := verifyFile(f, fi.Size()); err != nil {
		return &DamagedError{Path: s.path, Problem: err.Error()}
	}
	return s.guard(func() error {
		var errs []error
		for err := range tx.Check() {
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	})
}

// view is db.View for every read: a read that faults (the file was
// truncated under this process) or that bbolt aborts with a panic (a
// damaged page) returns a *DamagedError, and the store is closed to
// further use, instead of the process crashing.
func (s *Store) view(fn func(*bolt.Tx) error) error {
	if d := s.damage.Load(); d != nil {
		return d
	}
	err := s.guard(func() error { return s.db.View(fn) })
	var d *DamagedError
	if errors.As(err, &d) && d.fault {
		s.markDamaged(d)
	}
	return err
}

// guard runs fn with memory faults turned into panics, and turns a panic
// raised by bbolt or by a fault into a *DamagedError. Other panics (a
// caller's bug) go on.
func (s *Store) guard(fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			if !fromTheFile(r) {
				panic(r)
			}
			err = &DamagedError{Path: s.path, Problem: panicProblem(r), fault: true}
		}
	}()
	return fn()
}

func (s *Store) markDamaged(d *DamagedError) {
	if s.damage.CompareAndSwap(nil, d) {
		// Readers of other goroutines may still be in bbolt: close once
		// they are out, without waiting here.
		go s.closeBolt()
	}
}

// fromTheFile tells a panic caused by the cache file's content (a fault on
// its memory map, bbolt or this package's decoding giving up on it) from
// one of a caller. Called by a deferred function during the panic, it
// finds the panicking frame on the stack.
func fromTheFile(r any) bool {
	if _, ok := r.(interface{ Addr() uintptr }); ok {
		return true // a fault at a non-nil address: only mapped memory does that here
	}
	pcs := make([]uintptr, 64)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(3, pcs)])
	panicking := false
	for {
		f, more := frames.Next()
		switch {
		case f.Function == "runtime.gopanic":
			panicking = true
		case panicking && !strings.HasPrefix(f.Function, "runtime."):
			return strings.HasPrefix(f.Function, "go.etcd.io/bbolt") ||
				strings.HasPrefix(f.Function, "github.com/proxbox-tui/proxbox-tui/store.(*codec)") ||
				strings.HasPrefix(f.Function, "github.com/proxbox-tui/proxbox-tui/store.(*decoder)")
		}
		if !more {
			return false
		}
	}
}

func panicProblem(r any) string {
	msg := fmt.Sprint(r)
	if len(msg) > 200 {
		msg = msg[:200] + "..."
	}
	if _, ok := r.(interface{ Addr() uintptr }); ok {
		return "reading it faulted (" + msg + "): it was truncated or changed under this process, or the disk failed"
	}
	return "bbolt could not read it (" + msg + ")"
}

// MissingError reports a reading open of a cache that does not exist, or
// that holds nothing yet.
type MissingError struct {
	Path  string
	Empty bool // the file exists but no refresh wrote to it
}

func (e *MissingError) Error() string {
	if e.Empty {
		return fmt.Sprintf("cache %s is empty: nothing to read; run `proxbox-tui refresh` to fill it, or pass --cache FILE to read another cache file", e.Path)
	}
	return fmt.Sprintf("no cache at %s: nothing to read; run `proxbox-tui refresh` to create it, or pass --cache FILE to read another cache file", e.Path)
}

func (e *MissingError) Unwrap() error {
	if e.Empty {
		return nil
	}
	return fs.ErrNotExist
}

// DamagedError reports a cache file that cannot be read safely: truncated,
// both meta pages invalid, or a damaged page. It was left as it was.
type DamagedError struct {
	Path    string
	Problem string
	fault   bool // a read faulted or bbolt panicked: the store is closed
}

func (e *DamagedError) Error() string {
	return fmt.Sprintf("cache %s is damaged: %s. Nothing was changed: move it aside (for example to %s.damaged); the next refresh rebuilds it", e.Path, e.Problem, e.Path)
}

// ForeignError reports a file that is not a proxbox-tui cache: not a
// regular file, not a bbolt file, or another program's bbolt file. It was
// left as it was.
type ForeignError struct {
	Path string
	What string // "a named pipe, not a regular file", "not a bbolt file", ...
}

func (e *ForeignError) Error() string {
	return fmt.Sprintf("%s is not a proxbox-tui cache: it is %s. Nothing was changed: pass --cache FILE to use another cache file, or move it away if nothing else needs it (the next refresh then starts a new cache)", e.Path, e.What)
}

// SchemaError reports a cache file written by a newer binary, or by
// another build of the same schema version with other records, or (to a
// reading open, which does not rebuild) by an older binary.
type SchemaError struct {
	Path       string
	File       int
	Want       int
	FileLayout string // set when the versions are equal and the layouts differ
	WantLayout string
}

func (e *SchemaError) Error() string {
	switch {
	case e.File == e.Want:
		return fmt.Sprintf("cache %s has schema version %d with record layout %s; this binary reads layout %s of that version: use the build that wrote it, or pass --cache FILE to use another cache file", e.Path, e.File, e.FileLayout, e.WantLayout)
	case e.File < e.Want:
		return fmt.Sprintf("cache %s has schema version %d, older than version %d that this binary reads; a reading command does not rebuild it, so nothing was changed: run `proxbox-tui refresh` to rebuild it, or pass --cache FILE to use another cache file", e.Path, e.File, e.Want)
	}
	return fmt.Sprintf("cache %s has schema version %d; this binary reads version %d: upgrade proxbox-tui, or pass --cache FILE to use another cache file", e.Path, e.File, e.Want)
}

// schemaState is what a file says about its layout.
type schemaState struct {
	buckets  []string // top-level bucket names, at most maxNamed
	more     int      // further buckets
	ours     bool     // a meta bucket with a schema version and a layout
	version  int
	layout   string
	complete bool // every bucket this binary uses exists
}

const maxNamed = 5

func readSchema(tx *bolt.Tx) schemaState {
	var st schemaState
	c := tx.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		if len(st.buckets) < maxNamed {
			name := string(k)
			if len(name) > 40 {
				name = name[:40] + "..."
			}
			st.buckets = append(st.buckets, strconv.Quote(name))
		} else {
			st.more++
		}
	}
	if meta := tx.Bucket(bucketMeta); meta != nil {
		v, layout := meta.Get(keySchema), meta.Get(keyLayout)
		if len(v) == 4 && binary.BigEndian.Uint32(v) > 0 && isLayout(layout) {
			st.ours, st.version, st.layout = true, int(binary.BigEndian.Uint32(v)), string(layout)
		}
	}
	st.complete = st.ours && tx.Bucket(bucketScopes) != nil
	for _, k := range Kinds() {
		if !st.complete {
			break
		}
		st.complete = tx.Bucket([]byte(k)) != nil && tx.Bucket(bucketScopes).Bucket([]byte(k)) != nil
	}
	return st
}

// isLayout reports whether b looks like a record layout (16 hex digits),
// as every proxbox-tui cache has stored since the first schema.
func isLayout(b []byte) bool {
	if len(b) != 16 {
		return false
	}
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func (s *Store) prepareSchema() error {
	var st schemaState
	if err := s.view(func(tx *bolt.Tx) error { st = readSchema(tx); return nil }); err != nil {
		return err
	}
	switch {
	case len(st.buckets) == 0 && s.readOnly:
		return &MissingError{Path: s.path, Empty: true}
	case len(st.buckets) == 0:
		return s.rebuild() // a new file
	case !st.ours:
		what := "another program's bbolt file, without proxbox-tui's schema (buckets: " + strings.Join(st.buckets, ", ")
		if st.more > 0 {
			what += fmt.Sprintf(" and %d more", st.more)
		}
		return &ForeignError{Path: s.path, What: what + ")"}
	case st.version > SchemaVersion:
		return &SchemaError{Path: s.path, File: st.version, Want: SchemaVersion}
	case st.version == SchemaVersion && st.layout != s.codec.layout:
		return &SchemaError{Path: s.path, File: st.version, Want: SchemaVersion, FileLayout: st.layout, WantLayout: s.codec.layout}
	case st.version == SchemaVersion && !st.complete:
		// rebuild writes every bucket with the schema, in one transaction
		return &DamagedError{Path: s.path, Problem: "buckets of its schema are missing (" + strings.Join(st.buckets, ", ") + " are there)"}
	case st.version == SchemaVersion:
		return nil // nothing to write
	case s.readOnly:
		return &SchemaError{Path: s.path, File: st.version, Want: SchemaVersion}
	}
	// An older proxbox-tui cache: no migration keeps anything worth the
	// risk, so rebuild empty; the next refresh repopulates it.
	return s.rebuild()
}

// rebuild empties the file and writes this binary's buckets and schema.
func (s *Store) rebuild() error {
	return s.guard(func() error {
		return s.db.Update(func(tx *bolt.Tx) error {
			var names [][]byte
			c := tx.Cursor()
			for k, _ := c.First(); k != nil; k, _ = c.Next() {
				names = append(names, append([]byte(nil), k...))
			}
			for _, n := range names {
				if err := tx.DeleteBucket(n); err != nil {
					return err
				}
			}
			if err := ensureBuckets(tx); err != nil {
				return err
			}
			v := make([]byte, 4)
			binary.BigEndian.PutUint32(v, SchemaVersion)
			if err := tx.Bucket(bucketMeta).Put(keySchema, v); err != nil {
				return err
			}
			return tx.Bucket(bucketMeta).Put(keyLayout, []byte(s.codec.layout))
		})
	})
}

func ensureBuckets(tx *bolt.Tx) error {
	for _, name := range [][]byte{bucketMeta, bucketScopes} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return err
		}
	}
	for _, k := range Kinds() {
		if _, err := tx.CreateBucketIfNotExists([]byte(k)); err != nil {
			return err
		}
		if _, err := tx.Bucket(bucketScopes).CreateBucketIfNotExists([]byte(k)); err != nil {
			return err
		}
	}
	return nil
}
