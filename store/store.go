package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// SchemaVersion is the bucket layout this binary reads and writes.
const SchemaVersion = 3

// schemaLayout is the record layout of SchemaVersion (a hash of every
// record's encoded fields). A change to the records changes it; a test
// then asks for a new SchemaVersion, so that an older binary refuses a
// newer file instead of rebuilding it empty.
const schemaLayout = "2e727dda242282dc"

// Store is the bbolt-backed cache of every record kind, with a change feed.
// It is safe for concurrent use; one process owns the file at a time.
type Store struct {
	db    *bolt.DB
	path  string
	codec *codec

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
// the next refresh fills it again).
func Open(path string, opts Options) (*Store, error) {
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = time.Second
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout: opts.LockTimeout,
		// Reserve address space up front: each remap of a growing file
		// copies every live node out of the old mapping.
		InitialMmapSize: 1 << 30,
		FreelistType:    bolt.FreelistMapType,
	})
	if err != nil {
		if errors.Is(err, bolt.ErrTimeout) {
			return nil, &LockedError{Path: path, Holder: readOwner(ownerPath(path))}
		}
		return nil, fmt.Errorf("open cache %s: %w (it is only a cache: move it aside or pass --cache FILE to start a new one)", path, err)
	}
	s := &Store{db: db, path: path, codec: newCodec(), subs: map[*Subscription]struct{}{}}
	if err := s.prepareSchema(); err != nil {
		db.Close()
		return nil, err
	}
	writeOwner(ownerPath(path), opts.Owner)
	return s, nil
}

// Path returns the cache file's path.
func (s *Store) Path() string { return s.path }

// Close releases the file lock and ends every subscription.
func (s *Store) Close() error {
	s.mu.Lock()
	for sub := range s.subs {
		sub.close()
	}
	s.subs = map[*Subscription]struct{}{}
	s.mu.Unlock()
	os.Remove(ownerPath(s.path))
	return s.db.Close()
}

// Check runs bbolt's consistency check over the whole file.
func (s *Store) Check() error {
	return s.db.View(func(tx *bolt.Tx) error {
		var errs []error
		for err := range tx.Check() {
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	})
}

// SchemaError reports a cache file written by a newer binary, or by
// another build of the same schema version with other records.
type SchemaError struct {
	Path       string
	File       int
	Want       int
	FileLayout string // set when the versions are equal and the layouts differ
	WantLayout string
}

func (e *SchemaError) Error() string {
	if e.File == e.Want {
		return fmt.Sprintf("cache %s has schema version %d with record layout %s; this binary reads layout %s of that version: use the build that wrote it, or pass --cache FILE to use another cache file", e.Path, e.File, e.FileLayout, e.WantLayout)
	}
	return fmt.Sprintf("cache %s has schema version %d; this binary reads version %d: upgrade proxbox-tui, or pass --cache FILE to use another cache file", e.Path, e.File, e.Want)
}

func (s *Store) prepareSchema() error {
	return s.db.Update(func(tx *bolt.Tx) error {
		version, layout := 0, ""
		if meta := tx.Bucket(bucketMeta); meta != nil {
			if v := meta.Get(keySchema); len(v) == 4 {
				version = int(binary.BigEndian.Uint32(v))
			}
			layout = string(meta.Get(keyLayout))
		}
		switch {
		case version == SchemaVersion && layout == s.codec.layout:
			return ensureBuckets(tx)
		case version > SchemaVersion:
			return &SchemaError{Path: s.path, File: version, Want: SchemaVersion}
		case version == SchemaVersion:
			return &SchemaError{Path: s.path, File: version, Want: SchemaVersion, FileLayout: layout, WantLayout: s.codec.layout}
		}
		// Older or unversioned: no migration keeps anything worth the
		// risk, so rebuild empty; the next refresh repopulates it.
		var names [][]byte
		if err := tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
			names = append(names, append([]byte(nil), name...))
			return nil
		}); err != nil {
			return err
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
