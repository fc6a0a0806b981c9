package store

import (
	"errors"
	"fmt"
	"runtime"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// ErrClosed is returned by a subscription whose store was closed.
var ErrClosed = errors.New("store closed")

// recordPtr lets generic readers name a record type by its value type.
type recordPtr[T any] interface {
	*T
	Record
}

func kindOf[T any, P recordPtr[T]]() Kind {
	var zero T
	return P(&zero).RecordKind()
}

// Get reads one record by endpoint and key.
func Get[T any, P recordPtr[T]](s *Store, endpoint, key string) (T, bool, error) {
	var out T
	found := false
	err := s.view(func(tx *bolt.Tx) error {
		data := dataBucket(tx, kindOf[T, P](), endpoint)
		if data == nil {
			return nil
		}
		row := data.Get([]byte(key))
		if row == nil {
			return nil
		}
		found = true
		_, body := splitRow(row)
		return s.decode(body, P(&out), endpoint, key)
	})
	return out, found, err
}

// List reads every record of a kind, of one endpoint or of all when endpoint
// is "", ordered by endpoint then key. Large lists decode in parallel.
func List[T any, P recordPtr[T]](s *Store, endpoint string) ([]T, error) {
	var out []T
	err := s.view(func(tx *bolt.Tx) error {
		var rows []rawRow
		err := eachRow(tx, kindOf[T, P](), endpoint, func(r rawRow) bool {
			rows = append(rows, r)
			return true
		})
		if err != nil {
			return err
		}
		out = make([]T, len(rows))
		return s.decodeAll(rows, func(i int) Record { return P(&out[i]) })
	})
	return out, err
}

// Each calls fn for every record of a kind (one endpoint, or all when
// endpoint is ""), decoding one at a time; fn returns false to stop. fn must
// not write to the store.
func Each[T any, P recordPtr[T]](s *Store, endpoint string, fn func(*T) bool) error {
	return s.view(func(tx *bolt.Tx) error {
		var derr error
		err := eachRow(tx, kindOf[T, P](), endpoint, func(r rawRow) bool {
			var v T
			if derr = s.decode(r.body, P(&v), r.endpoint, string(r.key)); derr != nil {
				return false
			}
			return fn(&v)
		})
		if err != nil {
			return err
		}
		return derr
	})
}

// EachRecord calls fn with every record of a kind (one endpoint, or all
// when endpoint is ""), for callers that do not know the type (export).
func (s *Store) EachRecord(kind Kind, endpoint string, fn func(Record) bool) error {
	return s.view(func(tx *bolt.Tx) error {
		var derr error
		err := eachRow(tx, kind, endpoint, func(r rawRow) bool {
			rec, err := New(kind)
			if err == nil {
				err = s.decode(r.body, rec, r.endpoint, string(r.key))
			}
			if derr = err; err != nil {
				return false
			}
			return fn(rec)
		})
		if err != nil {
			return err
		}
		return derr
	})
}

// Count returns how many records of a kind an endpoint ("" for all) has.
func (s *Store) Count(kind Kind, endpoint string) (int, error) {
	n := 0
	err := s.view(func(tx *bolt.Tx) error {
		root := tx.Bucket([]byte(kind))
		if root == nil {
			return fmt.Errorf("unknown kind %q", kind)
		}
		return root.ForEachBucket(func(name []byte) error {
			if endpoint == "" || endpointFromBucket(name) == endpoint {
				n += root.Bucket(name).Stats().KeyN
			}
			return nil
		})
	})
	return n, err
}

// Endpoints lists the endpoints that have records of a kind.
func (s *Store) Endpoints(kind Kind) ([]string, error) {
	var out []string
	err := s.view(func(tx *bolt.Tx) error {
		root := tx.Bucket([]byte(kind))
		if root == nil {
			return fmt.Errorf("unknown kind %q", kind)
		}
		return root.ForEachBucket(func(name []byte) error {
			out = append(out, endpointFromBucket(name))
			return nil
		})
	})
	return out, err
}

type rawRow struct {
	endpoint string
	key      []byte
	body     []byte
}

func dataBucket(tx *bolt.Tx, kind Kind, endpoint string) *bolt.Bucket {
	root := tx.Bucket([]byte(kind))
	if root == nil {
		return nil
	}
	return root.Bucket(bucketName(endpoint))
}

func eachRow(tx *bolt.Tx, kind Kind, endpoint string, fn func(rawRow) bool) error {
	root := tx.Bucket([]byte(kind))
	if root == nil {
		return fmt.Errorf("unknown kind %q", kind)
	}
	visit := func(ep string, b *bolt.Bucket) bool {
		c := b.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			_, body := splitRow(v)
			if !fn(rawRow{endpoint: ep, key: k, body: body}) {
				return false
			}
		}
		return true
	}
	if endpoint != "" {
		if b := root.Bucket(bucketName(endpoint)); b != nil {
			visit(endpoint, b)
		}
		return nil
	}
	c := root.Cursor()
	for name, v := c.First(); name != nil; name, v = c.Next() {
		if v != nil {
			continue // not a bucket
		}
		if !visit(endpointFromBucket(name), root.Bucket(name)) {
			return nil
		}
	}
	return nil
}

// parallelDecodeMin is the list size from which decoding is spread over CPUs.
const parallelDecodeMin = 2048

func (s *Store) decodeAll(rows []rawRow, target func(i int) Record) error {
	workers := runtime.GOMAXPROCS(0)
	if len(rows) < parallelDecodeMin || workers < 2 {
		for i, r := range rows {
			if err := s.decode(r.body, target(i), r.endpoint, string(r.key)); err != nil {
				return err
			}
		}
		return nil
	}
	errs := make([]error, workers)
	var wg sync.WaitGroup
	chunk := (len(rows) + workers - 1) / workers
	for w := 0; w < workers; w++ {
		lo, hi := w*chunk, min((w+1)*chunk, len(rows))
		if lo >= hi {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			// The rows point into the file's memory map: a fault or a
			// decoder panic on them is the file's, as in view.
			errs[w] = s.guard(func() error {
				for i := lo; i < hi; i++ {
					r := rows[i]
					if err := s.decode(r.body, target(i), r.endpoint, string(r.key)); err != nil {
						return err
					}
				}
				return nil
			})
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (s *Store) decode(body []byte, into Record, endpoint, key string) error {
	if err := s.codec.decode(body, into); err != nil {
		return &DamagedError{Path: s.path, Problem: fmt.Sprintf("%s %q of endpoint %q is unreadable: %v", into.RecordKind(), clip(key), clip(endpoint), err)}
	}
	return nil
}

// Scopes lists the replaced (not merged) scopes of a kind that an
// endpoint's refreshes have written at least once, empty ones included.
func (s *Store) Scopes(kind Kind, endpoint string) (map[string]bool, error) {
	out := map[string]bool{}
	err := s.view(func(tx *bolt.Tx) error {
		root := tx.Bucket(bucketScopes).Bucket([]byte(kind))
		if root == nil {
			return fmt.Errorf("unknown kind %q", kind)
		}
		ep := root.Bucket(bucketName(endpoint))
		if ep == nil {
			return nil
		}
		return ep.ForEachBucket(func(name []byte) error {
			out[endpointFromBucket(name)] = true
			return nil
		})
	})
	return out, err
}

// clip shortens a key for a message.
func clip(s string) string {
	if len(s) > 100 {
		return s[:100] + "..."
	}
	return s
}
