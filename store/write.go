package store

import (
	"encoding/binary"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
)

// ScopeWrite replaces (or merges into) the records of one refresh scope: the
// rows one request or group of requests returns, e.g. "backups on storage
// nfs listed via node pve1". Scopes of a kind and endpoint are disjoint sets
// of keys; a key written by another scope moves to this one.
type ScopeWrite struct {
	Kind     Kind
	Endpoint string
	Scope    string
	Records  []Record
	// Merge adds and updates rows without removing the scope's other rows
	// (incremental task archive). A scope is always merged or always
	// replaced, never both.
	Merge bool
	// KeepStale keeps rows that vanished from the scope, marked stale, for
	// kinds that have a status (routines, replication).
	KeepStale bool
	// Keep names rows of the scope that stay as cached although Records
	// does not carry them: items of the answer left out because they
	// could not be stored, whose last good row is better than none.
	Keep []string
}

// Bounds of what the store takes. bbolt refuses keys over 32768 bytes and
// takes values up to 2 GB; no record Proxmox or NetBox describes comes
// near either, and one that does would slow every read of its kind.
const (
	// MaxKeyBytes bounds a record's key (a volid, a UPID, a name).
	MaxKeyBytes = 4096
	// MaxScopeBytes bounds a scope's name: up to two identities joined
	// ("storage@node").
	MaxScopeBytes = 2*MaxKeyBytes + 1
	// MaxValueBytes bounds a record in its stored form.
	MaxValueBytes = 1 << 20
)

// RecordError is a record the store refuses to write: no key, or a key or
// a stored form over its bound. Key is cut to a readable length.
type RecordError struct {
	Kind   Kind
	Key    string
	Reason string
}

func (e *RecordError) Error() string {
	if e.Key == "" {
		return fmt.Sprintf("%s record: %s", e.Kind, e.Reason)
	}
	return fmt.Sprintf("%s record %q: %s", e.Kind, e.Key, e.Reason)
}

// shownKeyBytes is how much of a refused key an error shows.
const shownKeyBytes = 64

func recordError(kind Kind, key, reason string) *RecordError {
	return &RecordError{Kind: kind, Key: cut(key), Reason: reason}
}

// cut shortens a name for an error message.
func cut(s string) string {
	if len(s) <= shownKeyBytes {
		return s
	}
	n := shownKeyBytes
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}

// CheckRecord reports whether the store takes r: a non-empty key of at
// most MaxKeyBytes and a stored form of at most MaxValueBytes. A writer
// drops what fails it before a write (ReplaceScopes refuses the whole
// write otherwise).
func CheckRecord(r Record) error {
	return checkRecord(r, sharedCodec())
}

var sharedCodec = sync.OnceValue(newCodec)

func checkRecord(r Record, c *codec) error {
	key := r.RecordKey()
	if err := checkKey(r.RecordKind(), key); err != nil {
		return err
	}
	n, err := c.size(r)
	if err != nil {
		return recordError(r.RecordKind(), key, err.Error())
	}
	if n > MaxValueBytes {
		return recordError(r.RecordKind(), key, fmt.Sprintf("%d bytes stored exceed %d", n, MaxValueBytes))
	}
	return nil
}

func checkKey(kind Kind, key string) error {
	switch {
	case key == "":
		return recordError(kind, "", "empty key")
	case len(key) > MaxKeyBytes:
		return recordError(kind, key, fmt.Sprintf("key of %d bytes exceeds %d", len(key), MaxKeyBytes))
	}
	return nil
}

// checkNames refuses an endpoint or scope name bbolt would refuse as a
// bucket name, before any write starts.
func checkNames(w ScopeWrite) error {
	if len(w.Endpoint) > MaxKeyBytes {
		return fmt.Errorf("endpoint name of %d bytes exceeds %d", len(w.Endpoint), MaxKeyBytes)
	}
	if len(w.Scope) > MaxScopeBytes {
		return fmt.Errorf("scope name of %d bytes exceeds %d", len(w.Scope), MaxScopeBytes)
	}
	return nil
}

// ReplaceScope applies one scope write in its own transaction.
func (s *Store) ReplaceScope(w ScopeWrite) error { return s.ReplaceScopes(w) }

// ReplaceScopes applies the writes in one transaction: all of them or none.
// Scopes not named keep their rows and their FetchedAt.
func (s *Store) ReplaceScopes(writes ...ScopeWrite) error {
	encoded, err := s.encodeScopes(writes)
	if err != nil {
		return err
	}
	return s.update(func(tx *bolt.Tx, touched map[changeKey]bool) error {
		puts := map[changeKey]*pendingPuts{}
		for i, w := range writes {
			if err := s.replaceScope(tx, w, encoded[i], puts); err != nil {
				return fmt.Errorf("replace %s of %q scope %q: %w", w.Kind, cut(w.Endpoint), cut(w.Scope), err)
			}
			touched[changeKey{w.Kind, w.Endpoint}] = true
		}
		for _, p := range puts {
			if err := p.flush(); err != nil {
				return err
			}
		}
		return nil
	})
}

// pendingPuts gathers the rows a transaction writes into one data bucket,
// so they can be inserted in key order: bbolt shifts a node's entries on
// every insert in the middle, which is quadratic for large scopes.
type pendingPuts struct {
	bucket *bolt.Bucket
	rows   map[string][]byte
}

func (p *pendingPuts) flush() error {
	keys := make([]string, 0, len(p.rows))
	for k := range p.rows {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if err := p.bucket.Put([]byte(k), p.rows[k]); err != nil {
			return err
		}
	}
	return nil
}

// Put inserts or updates records outside any refresh scope (a row that
// already belongs to a scope stays in it).
func (s *Store) Put(records ...Record) error {
	return s.update(func(tx *bolt.Tx, touched map[changeKey]bool) error {
		for _, r := range records {
			kind, ep := r.RecordKind(), r.meta().Endpoint
			data, idxRoot, err := kindBuckets(tx, kind, ep)
			if err != nil {
				return err
			}
			if len(ep) > MaxKeyBytes {
				return fmt.Errorf("put %s: endpoint name of %d bytes exceeds %d", kind, len(ep), MaxKeyBytes)
			}
			key := []byte(r.RecordKey())
			if err := checkKey(kind, string(key)); err != nil {
				return fmt.Errorf("put %s of %q: %w", kind, ep, err)
			}
			owner := ""
			if old := data.Get(key); old != nil {
				owner, _ = splitRow(old)
			}
			row, err := s.encodeRow(owner, r)
			if err != nil {
				return fmt.Errorf("put %s of %q: %w", kind, ep, recordError(kind, string(key), err.Error()))
			}
			if body := len(row) - len(owner) - uvarintLen(len(owner)); body > MaxValueBytes {
				return fmt.Errorf("put %s of %q: %w", kind, ep, recordError(kind, string(key), fmt.Sprintf("%d bytes stored exceed %d", body, MaxValueBytes)))
			}
			if err := data.Put(key, row); err != nil {
				return err
			}
			if owner != "" {
				idx, err := idxRoot.CreateBucketIfNotExists(bucketName(owner))
				if err != nil {
					return err
				}
				if err := idx.Put(key, nil); err != nil {
					return err
				}
			}
			touched[changeKey{kind, ep}] = true
		}
		return nil
	})
}

// Delete removes records by key.
func (s *Store) Delete(kind Kind, endpoint string, keys ...string) error {
	return s.update(func(tx *bolt.Tx, touched map[changeKey]bool) error {
		data, idxRoot, err := kindBuckets(tx, kind, endpoint)
		if err != nil {
			return err
		}
		for _, k := range keys {
			old := data.Get([]byte(k))
			if old == nil {
				continue
			}
			owner, _ := splitRow(old)
			if idx := idxRoot.Bucket(bucketName(owner)); idx != nil {
				if err := idx.Delete([]byte(k)); err != nil {
					return err
				}
			}
			if err := data.Delete([]byte(k)); err != nil {
				return err
			}
			touched[changeKey{kind, endpoint}] = true
		}
		return nil
	})
}

// DeleteEndpoint removes every record of an endpoint (it left the config).
func (s *Store) DeleteEndpoint(endpoint string) error {
	return s.update(func(tx *bolt.Tx, touched map[changeKey]bool) error {
		name := bucketName(endpoint)
		for _, k := range Kinds() {
			for _, parent := range []*bolt.Bucket{tx.Bucket([]byte(k)), tx.Bucket(bucketScopes).Bucket([]byte(k))} {
				if parent.Bucket(name) == nil {
					continue
				}
				if err := parent.DeleteBucket(name); err != nil {
					return err
				}
				touched[changeKey{k, endpoint}] = true
			}
		}
		return nil
	})
}

// update runs fn in a write transaction, stamps it with a new version and
// publishes the touched (kind, endpoint) pairs after the commit.
func (s *Store) update(fn func(tx *bolt.Tx, touched map[changeKey]bool) error) error {
	touched := map[changeKey]bool{}
	var version uint64
	err := s.db.Update(func(tx *bolt.Tx) error {
		if err := fn(tx, touched); err != nil {
			return err
		}
		v, err := tx.Bucket(bucketMeta).NextSequence()
		version = v
		return err
	})
	if err != nil {
		return err
	}
	changes := make([]Change, 0, len(touched))
	for k := range touched {
		changes = append(changes, Change{Kind: k.kind, Endpoint: k.endpoint, Version: version})
	}
	s.publish(changes)
	return nil
}

// encodedScope is a scope write's rows, encoded before the transaction.
type encodedScope struct {
	rows  map[string][]byte
	order []string // keys in key order
}

// encodeScopes checks and encodes every write's records outside the
// transaction (the writer lock), spread over the CPUs.
func (s *Store) encodeScopes(writes []ScopeWrite) ([]encodedScope, error) {
	out := make([]encodedScope, len(writes))
	errs := make([]error, len(writes))
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < min(runtime.GOMAXPROCS(0), len(writes)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i], errs[i] = s.encodeScope(writes[i])
			}
		}()
	}
	for i := range writes {
		next <- i
	}
	close(next)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			w := writes[i]
			return nil, fmt.Errorf("replace %s of %q scope %q: %w", w.Kind, cut(w.Endpoint), cut(w.Scope), err)
		}
	}
	return out, nil
}

func (s *Store) encodeScope(w ScopeWrite) (encodedScope, error) {
	e := encodedScope{rows: make(map[string][]byte, len(w.Records)), order: make([]string, 0, len(w.Records))}
	if err := checkNames(w); err != nil {
		return e, err
	}
	for _, r := range w.Records {
		key := r.RecordKey()
		if err := checkKey(r.RecordKind(), key); err != nil {
			return e, err
		}
		if r.RecordKind() != w.Kind {
			return e, fmt.Errorf("record %q is a %s, not a %s", key, r.RecordKind(), w.Kind)
		}
		if ep := r.meta().Endpoint; ep != w.Endpoint {
			return e, fmt.Errorf("record %q belongs to endpoint %q", key, ep)
		}
		row, err := s.encodeRow(w.Scope, r)
		if err != nil {
			return e, recordError(w.Kind, key, err.Error())
		}
		if body := len(row) - len(w.Scope) - uvarintLen(len(w.Scope)); body > MaxValueBytes {
			return e, recordError(w.Kind, key, fmt.Sprintf("%d bytes stored exceed %d", body, MaxValueBytes))
		}
		if _, dup := e.rows[key]; !dup {
			e.order = append(e.order, key)
		}
		e.rows[key] = row
	}
	slices.Sort(e.order) // bbolt inserts fastest in key order
	return e, nil
}

func (s *Store) replaceScope(tx *bolt.Tx, w ScopeWrite, enc encodedScope, puts map[changeKey]*pendingPuts) error {
	data, idxRoot, err := kindBuckets(tx, w.Kind, w.Endpoint)
	if err != nil {
		return err
	}
	pk := changeKey{w.Kind, w.Endpoint}
	pending := puts[pk]
	if pending == nil {
		pending = &pendingPuts{bucket: data, rows: map[string][]byte{}}
		puts[pk] = pending
	}
	rows, order := enc.rows, enc.order
	// A merged scope never retires rows, so it needs no index of its keys
	// (a scope is always written the same way: merged or replaced).
	var idx *bolt.Bucket
	if !w.Merge {
		if idx, err = idxRoot.CreateBucketIfNotExists(bucketName(w.Scope)); err != nil {
			return err
		}
		idx.FillPercent = sequentialFill
		if err := s.retireMissing(data, idx, w, rows); err != nil {
			return err
		}
	}
	for _, key := range order {
		k := []byte(key)
		if old := data.Get(k); old != nil {
			if owner, _ := splitRow(old); owner != w.Scope {
				if prev := idxRoot.Bucket(bucketName(owner)); prev != nil {
					if err := prev.Delete(k); err != nil {
						return err
					}
				}
			}
		}
		pending.rows[key] = rows[key]
		if idx != nil {
			if err := idx.Put(k, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// retireMissing deletes (or marks stale) the scope's rows absent from rows.
func (s *Store) retireMissing(data, idx *bolt.Bucket, w ScopeWrite, rows map[string][]byte) error {
	keep := make(map[string]bool, len(w.Keep))
	for _, k := range w.Keep {
		keep[k] = true
	}
	var gone [][]byte
	c := idx.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		if _, ok := rows[string(k)]; !ok && !keep[string(k)] {
			gone = append(gone, append([]byte(nil), k...))
		}
	}
	for _, k := range gone {
		old := data.Get(k)
		if old == nil {
			if err := idx.Delete(k); err != nil {
				return err
			}
			continue
		}
		owner, body := splitRow(old)
		if owner != w.Scope { // the row moved to another scope
			if err := idx.Delete(k); err != nil {
				return err
			}
			continue
		}
		if w.KeepStale {
			if row, ok, err := s.staleRow(w.Kind, owner, body); err != nil {
				return fmt.Errorf("record %q: %w", k, err)
			} else if ok {
				if err := data.Put(k, row); err != nil {
					return err
				}
				continue
			}
		}
		if err := data.Delete(k); err != nil {
			return err
		}
		if err := idx.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) staleRow(kind Kind, owner string, body []byte) ([]byte, bool, error) {
	rec, err := New(kind)
	if err != nil {
		return nil, false, err
	}
	st, ok := rec.(staler)
	if !ok {
		return nil, false, nil
	}
	if err := s.codec.decode(body, rec); err != nil {
		return nil, false, err
	}
	st.markStale()
	row, err := s.encodeRow(owner, rec)
	return row, err == nil, err
}

// sequentialFill is how full bbolt packs a page when it splits one. Rows
// are inserted in key order, where bbolt's default of one half would
// leave every page half empty and double what a commit writes.
const sequentialFill = 0.9

func kindBuckets(tx *bolt.Tx, kind Kind, endpoint string) (data, scopes *bolt.Bucket, err error) {
	root := tx.Bucket([]byte(kind))
	if root == nil {
		return nil, nil, fmt.Errorf("unknown kind %q", kind)
	}
	if data, err = root.CreateBucketIfNotExists(bucketName(endpoint)); err != nil {
		return nil, nil, err
	}
	data.FillPercent = sequentialFill
	scopes, err = tx.Bucket(bucketScopes).Bucket([]byte(kind)).CreateBucketIfNotExists(bucketName(endpoint))
	return data, scopes, err
}

// bucketName maps a name to a bucket name; bbolt refuses empty ones.
func bucketName(s string) []byte {
	if s == "" {
		return []byte{0}
	}
	return []byte(s)
}

func endpointFromBucket(name []byte) string {
	if len(name) == 1 && name[0] == 0 {
		return ""
	}
	return string(name)
}

// A row is the owning scope's name (uvarint length + bytes) and the record
// in the codec's binary form.
func (s *Store) encodeRow(scope string, r Record) ([]byte, error) {
	row := make([]byte, 0, 256)
	row = binary.AppendUvarint(row, uint64(len(scope)))
	row = append(row, scope...)
	return s.codec.encode(row, r)
}

func uvarintLen(n int) int {
	var b [binary.MaxVarintLen64]byte
	return binary.PutUvarint(b[:], uint64(n))
}

func splitRow(row []byte) (scope string, body []byte) {
	n, w := binary.Uvarint(row)
	if w <= 0 || int(n) > len(row)-w {
		return "", row
	}
	return string(row[w : w+int(n)]), row[w+int(n):]
}
