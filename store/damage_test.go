package store

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The damaged-cache suite (issue: a damaged cache is reported, not crashed
// on): files made by the test from a real cache, each opened for writing
// and for reading, read through every read path, and compared byte for
// byte afterwards.

// realCache writes a cache with enough backups to take the parallel decode
// path, and a few records of other kinds, and returns its path.
func realCache(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "cache.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var writes []ScopeWrite
	for scope, recs := range syntheticBackups("lab", parallelDecodeMin+100, time.Now()) {
		writes = append(writes, ScopeWrite{Kind: KindBackup, Endpoint: "lab", Scope: scope, Records: recs})
	}
	if err := s.ReplaceScopes(writes...); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(&Endpoint{Meta: Meta{Endpoint: "lab"}, Name: "lab"}, &Node{Meta: Meta{Endpoint: "lab"}, Name: "pve1"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// bbolt grows the file ahead of its pages; the tests copy and hash it
	// often, so drop that slack (TestTruncatedCacheIsReportedAndKept
	// shows it is not needed).
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	m, err := chooseMeta(f, fi.Size())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, int64(m.pgid)*int64(m.pageSize)); err != nil {
		t.Fatal(err)
	}
	return path
}

func fileHash(t testing.TB, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

func copyFile(t testing.TB, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// readEverything goes through every read path and returns the first error.
func readEverything(s *Store) error {
	var errs []error
	for _, k := range Kinds() {
		errs = append(errs, s.EachRecord(k, "", func(Record) bool { return true }))
		_, err := s.Count(k, "")
		errs = append(errs, err)
		_, err = s.Endpoints(k)
		errs = append(errs, err)
		_, err = s.Scopes(k, "lab")
		errs = append(errs, err)
	}
	_, err := List[Backup](s, "")
	errs = append(errs, err)
	_, _, err = Get[Endpoint](s, "lab", "lab")
	errs = append(errs, err)
	errs = append(errs, Each[Backup](s, "lab", func(*Backup) bool { return true }))
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// wantRefused checks that err is one of the refusals with a clear message:
// what is wrong, that nothing was changed, what to do.
func wantRefused(t *testing.T, err error, path string) {
	t.Helper()
	var d *DamagedError
	var f *ForeignError
	switch {
	case errors.As(err, &d):
		for _, want := range []string{path, "is damaged", "Nothing was changed", "move it aside", "next refresh rebuilds it"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
		}
	case errors.As(err, &f):
		for _, want := range []string{path, "is not a proxbox-tui cache", "Nothing was changed", "--cache FILE"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
		}
	default:
		t.Fatalf("err = %v (%T), want a DamagedError or ForeignError", err, err)
	}
}

// openBothWays opens path for writing and for reading; each must fail with
// a refusal and leave the file as it was.
func openBothWays(t *testing.T, path string) error {
	t.Helper()
	before := fileHash(t, path)
	var last error
	for _, ro := range []bool{false, true} {
		s, err := Open(path, Options{ReadOnly: ro, LockTimeout: 200 * time.Millisecond})
		if err == nil {
			s.Close()
			t.Fatalf("ReadOnly=%v: a damaged file was opened", ro)
		}
		wantRefused(t, err, path)
		last = err
	}
	if fileHash(t, path) != before {
		t.Fatal("the refused file changed")
	}
	if _, err := os.Stat(ownerPath(path)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a refused open left %s", ownerPath(path))
	}
	return last
}

func fileMeta(t *testing.T, path string) boltMeta {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	m, err := chooseMeta(f, fi.Size())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestTruncatedCacheIsReportedAndKept(t *testing.T) {
	src := realCache(t) // cut at its high-water mark: it still opens
	m := fileMeta(t, src)
	psize, hwm := int64(m.pageSize), int64(m.pgid)
	s, err := Open(src, Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("a file cut at its high-water mark: %v", err)
	}
	if err := readEverything(s); err != nil {
		t.Fatal(err)
	}
	s.Close()

	for _, size := range []int64{hwm*psize - 1, hwm*psize - psize, hwm * psize / 2, 3 * psize, 2*psize + 100, 2 * psize, psize + 10, 100, 10} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "cache.db")
			copyFile(t, src, path)
			if err := os.Truncate(path, size); err != nil {
				t.Fatal(err)
			}
			err := openBothWays(t, path)
			if size >= 2*psize && !strings.Contains(err.Error(), "truncated") {
				t.Errorf("error %q does not say the file is truncated", err)
			}
		})
	}
}

// A page of backup rows (found by a volume id in it) with its header or
// its elements damaged is found before bbolt reads it.
func TestDamagedDataPageIsReportedAndKept(t *testing.T) {
	src := realCache(t)
	psize := int64(fileMeta(t, src).pageSize)
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	at := bytes.Index(data, []byte("backup-3:backup/"))
	if at < 0 {
		t.Fatal("no backup row in the file")
	}
	page := int64(at) / psize * psize
	for name, damage := range map[string]func(p []byte){
		"page id":        func(p []byte) { p[0] ^= 0x5a },
		"page type":      func(p []byte) { p[8] = 0x08 },
		"element count":  func(p []byte) { p[10], p[11] = 0xff, 0xfe },
		"overflow":       func(p []byte) { p[12], p[13], p[14], p[15] = 0xff, 0xff, 0xff, 0x0f },
		"element bounds": func(p []byte) { copy(p[16:48], bytes.Repeat([]byte{0xff}, 32)) },
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "cache.db")
			b := bytes.Clone(data)
			damage(b[page : page+psize])
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
			var d *DamagedError
			if err := openBothWays(t, path); !errors.As(err, &d) {
				t.Fatalf("err = %v, want a DamagedError", err)
			}
		})
	}
}

// Damage anywhere, of any kind: an open is refused, or reads return
// errors or data; the process never crashes and the file never changes.
func TestDamageAnywhereNeverCrashes(t *testing.T) {
	src := realCache(t)
	m := fileMeta(t, src)
	psize, hwm := int(m.pageSize), int(m.pgid)
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(12, 4))
	patterns := []func(p []byte){
		func(p []byte) { p[rng.IntN(16)] ^= byte(1 + rng.IntN(255)) }, // header
		func(p []byte) { // element headers
			for i := 0; i < 4; i++ {
				p[16+rng.IntN(64)] ^= byte(1 + rng.IntN(255))
			}
		},
		func(p []byte) { // anywhere in the page
			for i := 0; i < 8; i++ {
				p[rng.IntN(len(p))] ^= byte(1 + rng.IntN(255))
			}
		},
	}
	// Every fourth page (one in each run of pages of a kind), three ways.
	step := 2
	if testing.Short() {
		step = 8
	}
	dir := t.TempDir()
	atOpen, atRead, unseen := 0, 0, 0
	for id := 0; id < hwm; id += step {
		for pi, damage := range patterns {
			path := filepath.Join(dir, fmt.Sprintf("p%d-%d.db", id, pi))
			b := bytes.Clone(data)
			damage(b[id*psize : (id+1)*psize])
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
			before := sha256.Sum256(b)
			for _, ro := range []bool{true, false} {
				s, err := Open(path, Options{ReadOnly: ro})
				if err != nil {
					var d *DamagedError
					var f *ForeignError
					var se *SchemaError
					if !errors.As(err, &d) && !errors.As(err, &f) && !errors.As(err, &se) {
						t.Fatalf("page %d pattern %d: open: %v (%T)", id, pi, err, err)
					}
					atOpen++
					continue
				}
				if !ro {
					s.Close() // reads are the same; a writer's open is what differs
					continue
				}
				if err := readEverything(s); err != nil {
					var d *DamagedError
					if !errors.As(err, &d) {
						t.Errorf("page %d pattern %d: read: %v (%T), want a DamagedError", id, pi, err, err)
					}
					atRead++
				} else {
					unseen++ // a free page, or a value the codec still reads
				}
				s.Close()
			}
			if fileHash(t, path) != before {
				t.Fatalf("page %d pattern %d: the file changed", id, pi)
			}
			os.Remove(path)
		}
	}
	t.Logf("%d pages: refused at open %d, a read error %d, not seen %d", hwm, atOpen, atRead, unseen)
	if atOpen == 0 {
		t.Fatal("no damage was found at open: the suite proved nothing")
	}
}

func TestForeignBboltFileIsRefusedAndKept(t *testing.T) {
	for name, fill := range map[string]func(tx *bolt.Tx) error{
		"other buckets": func(tx *bolt.Tx) error {
			b, err := tx.CreateBucket([]byte("users"))
			if err != nil {
				return err
			}
			if _, err := tx.CreateBucket([]byte("sessions")); err != nil {
				return err
			}
			return b.Put([]byte("alice"), []byte(`{"admin":true}`))
		},
		"a meta bucket of its own": func(tx *bolt.Tx) error {
			b, err := tx.CreateBucket([]byte("meta"))
			if err != nil {
				return err
			}
			if err := b.Put([]byte("schema"), []byte("v1")); err != nil {
				return err
			}
			_, err = tx.CreateBucket([]byte("backups"))
			return err
		},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "other.db")
			db, err := bolt.Open(path, 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Update(fill); err != nil {
				t.Fatal(err)
			}
			db.Close()
			err = openBothWays(t, path)
			var f *ForeignError
			if !errors.As(err, &f) || !strings.Contains(err.Error(), "another program's bbolt file") {
				t.Fatalf("err = %v, want a ForeignError naming another program's bbolt file", err)
			}
			checkFile(t, path)
		})
	}
}

func TestReadOnlyOpenCreatesAndWritesNothing(t *testing.T) {
	dir := t.TempDir()

	missing := filepath.Join(dir, "missing.db")
	_, err := Open(missing, Options{ReadOnly: true})
	var me *MissingError
	if !errors.As(err, &me) || !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "no cache at "+missing) {
		t.Fatalf("missing file: err = %v", err)
	}
	if _, err := os.Stat(missing); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("a reading open created the file")
	}

	empty := filepath.Join(dir, "empty.db")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	fresh := filepath.Join(dir, "fresh.db") // bbolt's first pages, no bucket yet
	db, err := bolt.Open(fresh, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	for _, path := range []string{empty, fresh} {
		before := fileHash(t, path)
		_, err := Open(path, Options{ReadOnly: true})
		if !errors.As(err, &me) || !me.Empty || !strings.Contains(err.Error(), "is empty") || !strings.Contains(err.Error(), "refresh") {
			t.Errorf("%s: err = %v, want an empty-cache error", path, err)
		}
		if fileHash(t, path) != before {
			t.Errorf("%s changed", path)
		}
	}

	older := realCache(t)
	setSchema(t, older, SchemaVersion-1)
	before := fileHash(t, older)
	_, err = Open(older, Options{ReadOnly: true})
	var se *SchemaError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "older than version") || !strings.Contains(err.Error(), "nothing was changed") {
		t.Fatalf("older schema: err = %v", err)
	}
	if fileHash(t, older) != before {
		t.Fatal("a reading open changed an older cache")
	}

	path := realCache(t)
	before = fileHash(t, path)
	a, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("a second reader: %v", err)
	}
	if err := readEverything(a); err != nil {
		t.Fatal(err)
	}
	if n, _ := a.Count(KindBackup, "lab"); n != parallelDecodeMin+100 {
		t.Fatalf("read %d backups", n)
	}
	if err := a.Check(); err != nil {
		t.Fatal(err)
	}
	if err := a.Put(backup("lab", "nfs:new", time.Now())); err == nil {
		t.Fatal("a read-only store wrote")
	}
	if _, err := os.Stat(ownerPath(path)); !errors.Is(err, fs.ErrNotExist) {
		t.Error("a reading open wrote the lock-holder file")
	}
	_, err = Open(path, Options{LockTimeout: 100 * time.Millisecond})
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("a writer while readers hold the file: err = %v, want a LockedError", err)
	}
	a.Close()
	b.Close()
	if fileHash(t, path) != before {
		t.Fatal("reading changed the file")
	}

	// Opening a current cache for writing writes nothing either.
	w, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Open(path, Options{ReadOnly: true, LockTimeout: 100 * time.Millisecond})
	if !errors.As(err, &le) {
		t.Fatalf("a reader while a writer holds the file: err = %v, want a LockedError", err)
	}
	w.Close()
	if fileHash(t, path) != before {
		t.Fatal("opening a current cache for writing changed it")
	}
}

// A file truncated under an open store (by something that ignores the
// lock) faults on the memory map: reads return a DamagedError instead of
// the process dying of SIGBUS.
func TestTruncatedUnderAnOpenStore(t *testing.T) {
	for _, ro := range []bool{true, false} {
		t.Run(fmt.Sprintf("ReadOnly=%v", ro), func(t *testing.T) {
			path := realCache(t)
			psize := int64(fileMeta(t, path).pageSize)
			s, err := Open(path, Options{ReadOnly: ro})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if err := os.Truncate(path, 2*psize); err != nil {
				t.Fatal(err)
			}
			err = readEverything(s)
			var d *DamagedError
			if !errors.As(err, &d) || !strings.Contains(err.Error(), "faulted") {
				t.Fatalf("err = %v, want a DamagedError for a fault", err)
			}
			wantRefused(t, err, path)
			if err2 := readEverything(s); !errors.As(err2, &d) {
				t.Fatalf("a later read: %v", err2)
			}
			if err := s.Check(); !errors.As(err, &d) {
				t.Fatalf("check: %v", err)
			}
		})
	}
}

// A caller's panic inside a read is not taken for damage.
func TestCallerPanicIsNotDamage(t *testing.T) {
	path := realCache(t)
	s, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	func() {
		defer func() {
			if r := recover(); r != "caller bug" {
				t.Fatalf("recovered %v, want the caller's panic", r)
			}
		}()
		Each[Backup](s, "", func(*Backup) bool { panic("caller bug") })
	}()
	if err := readEverything(s); err != nil {
		t.Fatalf("the store was taken for damaged: %v", err)
	}
}
