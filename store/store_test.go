package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func TestRoundTripEveryKind(t *testing.T) {
	s := openTemp(t)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, k := range Kinds() {
		t.Run(string(k), func(t *testing.T) {
			want := randomRecord(t, rng, k, "lab")
			if err := s.Put(want); err != nil {
				t.Fatal(err)
			}
			var got Record
			err := s.EachRecord(k, "lab", func(r Record) bool {
				if r.RecordKey() == want.RecordKey() {
					got = r
				}
				return true
			})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				a, _ := json.Marshal(want)
				b, _ := json.Marshal(got)
				t.Fatalf("round trip changed the record\nwant %s\ngot  %s", a, b)
			}
			// The JSON export form round-trips too.
			js, err := json.Marshal(want)
			if err != nil {
				t.Fatal(err)
			}
			back, _ := New(k)
			if err := json.Unmarshal(js, back); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, want) {
				t.Fatalf("JSON round trip changed the record: %s", js)
			}
		})
	}
}

func TestRoundTripZeroValuesStayZero(t *testing.T) {
	s := openTemp(t)
	for _, k := range Kinds() {
		rec, _ := New(k)
		rec.meta().Endpoint = "lab"
		// Give each record a key; every other field stays zero or nil.
		switch r := rec.(type) {
		case *Endpoint:
			r.Name = "lab"
		case *Node:
			r.Name = "pve1"
		case *Guest:
			r.Type, r.VMID = "qemu", 100
		case *Storage:
			r.Name = "local"
		case *Backup:
			r.VolumeID = "local:backup/x"
		case *Snapshot:
			r.Subtype, r.VMID, r.Name = "lxc", 101, "pre"
		case *Task:
			r.UPID = "UPID:pve1:1"
		case *BackupRoutine:
			r.JobID = "backup-1"
		case *Replication:
			r.ReplicationID = "100-0"
		case *SyncRun:
			r.RunID = "run-1"
		case *NetBoxLink:
			r.ObjectKind, r.ObjectKey = KindGuest, "qemu/100"
		}
		if err := s.Put(rec); err != nil {
			t.Fatal(err)
		}
		var got Record
		if err := s.EachRecord(k, "lab", func(r Record) bool { got = r; return false }); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, rec) {
			t.Errorf("%s: zero-valued round trip: got %+v, want %+v", k, got, rec)
		}
	}
}

func TestJSONFieldNamesFollowThePlugin(t *testing.T) {
	want := map[Kind][]string{
		KindBackup: {"volume_id", "storage", "vmid", "subtype", "format", "creation_time", "size",
			"notes", "encrypted", "verification_state", "verification_upid"},
		KindBackupRoutine: {"job_id", "enabled", "schedule", "next_run", "node", "storage", "selection",
			"keep_last", "keep_daily", "keep_weekly", "keep_monthly", "keep_yearly", "keep_all", "bwlimit",
			"zstd", "io_workers", "fleecing", "fleecing_storage", "repeat_missed",
			"pbs_change_detection_mode", "status", "raw_config"},
		KindReplication: {"replication_id", "guest", "target", "job_type", "schedule", "rate", "disable",
			"jobnum", "source", "comment", "remove_job", "status", "raw_config"},
		KindTask: {"upid", "node", "pid", "pstart", "task_id", "task_type", "username", "start_time",
			"end_time", "status", "exitstatus"},
		KindSnapshot: {"name", "description", "vmid", "node", "snaptime", "parent", "subtype"},
		KindStorage: {"name", "storage_type", "content", "path", "nodes", "shared", "enabled", "server",
			"port", "username", "export", "share", "pool", "datastore", "prune_backups",
			"max_protected_backups", "raw_config"},
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, k := range Kinds() {
		js, err := json.Marshal(randomRecord(t, rng, k, "lab"))
		if err != nil {
			t.Fatal(err)
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(js, &fields); err != nil {
			t.Fatal(err)
		}
		for _, name := range append([]string{"endpoint", "fetched_at"}, want[k]...) {
			if _, ok := fields[name]; !ok {
				t.Errorf("%s: JSON lacks field %q: %s", k, name, js)
			}
		}
		if raw, ok := fields["fetched_at"]; ok {
			var ts string
			if json.Unmarshal(raw, &ts) != nil {
				t.Errorf("%s: fetched_at is not a string: %s", k, raw)
			} else if _, err := time.Parse(time.RFC3339, ts); err != nil {
				t.Errorf("%s: fetched_at %q is not RFC 3339", k, ts)
			}
		}
	}
}

func TestScopeReplacement(t *testing.T) {
	s := openTemp(t)
	t0 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	t1 := t0.Add(time.Hour)
	put := func(scope string, at time.Time, ids ...string) {
		t.Helper()
		var recs []Record
		for _, id := range ids {
			recs = append(recs, backup("lab", id, at))
		}
		if err := s.ReplaceScope(ScopeWrite{Kind: KindBackup, Endpoint: "lab", Scope: scope, Records: recs}); err != nil {
			t.Fatal(err)
		}
	}
	put("nfs@pve1", t0, "nfs:a", "nfs:b")
	put("local@pve2", t0, "local:c")

	// The nfs scope succeeds again without b; the local scope failed and is
	// not replaced: it keeps its row and its old FetchedAt.
	put("nfs@pve1", t1, "nfs:a", "nfs:d")
	got, err := List[Backup](s, "lab")
	if err != nil {
		t.Fatal(err)
	}
	if ids := volids(got); !slices.Equal(ids, []string{"local:c", "nfs:a", "nfs:d"}) {
		t.Fatalf("after replacing nfs@pve1: %v", ids)
	}
	for _, b := range got {
		want := t1
		if b.VolumeID == "local:c" {
			want = t0
		}
		if !b.FetchedAt.Equal(want) {
			t.Errorf("%s fetched_at = %v, want %v", b.VolumeID, b.FetchedAt, want)
		}
	}

	// A key listed by another scope moves there; replacing the first scope
	// afterwards must not delete it.
	put("local@pve2", t1, "local:c", "nfs:a")
	put("nfs@pve1", t1, "nfs:d")
	got, _ = List[Backup](s, "lab")
	if ids := volids(got); !slices.Equal(ids, []string{"local:c", "nfs:a", "nfs:d"}) {
		t.Fatalf("after moving nfs:a: %v", ids)
	}
	// An empty successful listing empties the scope.
	put("local@pve2", t1)
	got, _ = List[Backup](s, "lab")
	if ids := volids(got); !slices.Equal(ids, []string{"nfs:d"}) {
		t.Fatalf("after emptying local@pve2: %v", ids)
	}
	// Another endpoint is never touched.
	put2 := ScopeWrite{Kind: KindBackup, Endpoint: "edge", Scope: "nfs@pve1", Records: []Record{backup("edge", "nfs:z", t0)}}
	if err := s.ReplaceScope(put2); err != nil {
		t.Fatal(err)
	}
	put("nfs@pve1", t1)
	if n, _ := s.Count(KindBackup, "edge"); n != 1 {
		t.Fatalf("edge has %d backups, want 1", n)
	}
}

func TestScopeWritesAreAllOrNothing(t *testing.T) {
	s := openTemp(t)
	t0 := time.Now().UTC()
	if err := s.ReplaceScope(ScopeWrite{Kind: KindBackup, Endpoint: "lab", Scope: "a", Records: []Record{backup("lab", "x", t0)}}); err != nil {
		t.Fatal(err)
	}
	err := s.ReplaceScopes(
		ScopeWrite{Kind: KindBackup, Endpoint: "lab", Scope: "a"},
		ScopeWrite{Kind: KindBackup, Endpoint: "lab", Scope: "b", Records: []Record{backup("other", "y", t0)}},
	)
	if err == nil || !strings.Contains(err.Error(), `belongs to endpoint "other"`) {
		t.Fatalf("mismatched endpoint: err = %v", err)
	}
	if n, _ := s.Count(KindBackup, "lab"); n != 1 {
		t.Fatalf("a failed transaction changed the cache: %d rows, want 1", n)
	}
}

func TestStaleAndMergeScopes(t *testing.T) {
	s := openTemp(t)
	job := func(id string) Record {
		return &BackupRoutine{Meta: Meta{Endpoint: "lab"}, JobID: id, Status: StatusActive, Schedule: "daily"}
	}
	w := ScopeWrite{Kind: KindBackupRoutine, Endpoint: "lab", Scope: "jobs", KeepStale: true}
	w.Records = []Record{job("backup-a"), job("backup-b")}
	if err := s.ReplaceScope(w); err != nil {
		t.Fatal(err)
	}
	w.Records = []Record{job("backup-a")}
	if err := s.ReplaceScope(w); err != nil {
		t.Fatal(err)
	}
	b, ok, err := Get[BackupRoutine](s, "lab", "backup-b")
	if err != nil || !ok {
		t.Fatalf("vanished job was dropped: ok=%v err=%v", ok, err)
	}
	if b.Status != StatusStale || b.Schedule != "daily" {
		t.Fatalf("vanished job: status %q schedule %q, want stale and kept", b.Status, b.Schedule)
	}
	// It comes back active when Proxmox lists it again.
	w.Records = []Record{job("backup-a"), job("backup-b")}
	if err := s.ReplaceScope(w); err != nil {
		t.Fatal(err)
	}
	if b, _, _ := Get[BackupRoutine](s, "lab", "backup-b"); b.Status != StatusActive {
		t.Fatalf("returned job status %q", b.Status)
	}

	// Merge adds without removing (incremental task archive).
	task := func(upid string) Record { return &Task{Meta: Meta{Endpoint: "lab"}, UPID: upid} }
	for _, batch := range [][]Record{{task("U1"), task("U2")}, {task("U3")}} {
		if err := s.ReplaceScope(ScopeWrite{Kind: KindTask, Endpoint: "lab", Scope: "pve1", Records: batch, Merge: true}); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := s.Count(KindTask, "lab"); n != 3 {
		t.Fatalf("merged tasks: %d, want 3", n)
	}
}

func TestReadsByKindEndpointAndKey(t *testing.T) {
	s := openTemp(t)
	t0 := time.Now().UTC()
	for _, ep := range []string{"lab", "edge"} {
		var recs []Record
		for _, id := range []string{"s:1", "s:2", "s:3"} {
			recs = append(recs, backup(ep, id, t0))
		}
		if err := s.ReplaceScope(ScopeWrite{Kind: KindBackup, Endpoint: ep, Scope: "s", Records: recs}); err != nil {
			t.Fatal(err)
		}
	}
	all, err := List[Backup](s, "")
	if err != nil || len(all) != 6 {
		t.Fatalf("all endpoints: %d rows, err %v", len(all), err)
	}
	if all[0].Endpoint != "edge" || all[5].Endpoint != "lab" {
		t.Errorf("order by endpoint: first %q last %q", all[0].Endpoint, all[5].Endpoint)
	}
	b, ok, err := Get[Backup](s, "edge", "s:2")
	if err != nil || !ok || b.VolumeID != "s:2" || b.Endpoint != "edge" {
		t.Fatalf("get: %+v %v %v", b, ok, err)
	}
	if _, ok, _ := Get[Backup](s, "nowhere", "s:2"); ok {
		t.Fatal("found a record of an unknown endpoint")
	}
	seen := 0
	if err := Each(s, "lab", func(*Backup) bool { seen++; return seen < 2 }); err != nil {
		t.Fatal(err)
	}
	if seen != 2 {
		t.Fatalf("Each did not stop when asked: %d calls", seen)
	}
	eps, _ := s.Endpoints(KindBackup)
	if !slices.Equal(eps, []string{"edge", "lab"}) {
		t.Fatalf("endpoints: %v", eps)
	}
	if err := s.Delete(KindBackup, "lab", "s:1"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteEndpoint("edge"); err != nil {
		t.Fatal(err)
	}
	all, _ = List[Backup](s, "")
	if ids := volids(all); !slices.Equal(ids, []string{"s:2", "s:3"}) {
		t.Fatalf("after deletes: %v", ids)
	}
	// The deleted row left its scope's index: replacing the scope with it
	// again must work and it must not resurrect s:1.
	if err := s.ReplaceScope(ScopeWrite{Kind: KindBackup, Endpoint: "lab", Scope: "s", Records: []Record{backup("lab", "s:2", t0)}}); err != nil {
		t.Fatal(err)
	}
	all, _ = List[Backup](s, "lab")
	if ids := volids(all); !slices.Equal(ids, []string{"s:2"}) {
		t.Fatalf("after replace: %v", ids)
	}
}

func TestListLargeDecodesInParallelInOrder(t *testing.T) {
	s := openTemp(t)
	scopes := syntheticBackups("lab", 3*parallelDecodeMin, time.Now())
	var writes []ScopeWrite
	for scope, recs := range scopes {
		writes = append(writes, ScopeWrite{Kind: KindBackup, Endpoint: "lab", Scope: scope, Records: recs})
	}
	if err := s.ReplaceScopes(writes...); err != nil {
		t.Fatal(err)
	}
	got, err := List[Backup](s, "lab")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3*parallelDecodeMin {
		t.Fatalf("got %d", len(got))
	}
	if !slices.IsSortedFunc(got, func(a, b Backup) int { return strings.Compare(a.VolumeID, b.VolumeID) }) {
		t.Fatal("list is not ordered by key")
	}
	for _, b := range got {
		if b.VolumeID == "" || b.Storage == "" || b.CreationTime.IsZero() {
			t.Fatalf("incompletely decoded record %+v", b)
		}
	}
}

func TestCorruptRowNamesTheRecord(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cache.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(backup("lab", "nfs:broken", time.Now())); err != nil {
		t.Fatal(err)
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(KindBackup)).Bucket([]byte("lab")).Put([]byte("nfs:broken"), []byte{0, 5, 1})
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = List[Backup](s, "")
	if err == nil || !strings.Contains(err.Error(), `backups "nfs:broken" of endpoint "lab"`) {
		t.Fatalf("corrupt row: err = %v", err)
	}
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
	s.Close()
}

func TestNewerSchemaIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cache.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	setSchema(t, path, SchemaVersion+98)
	_, err = Open(path, Options{})
	var se *SchemaError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, want a SchemaError", err)
	}
	for _, want := range []string{path, fmt.Sprintf("schema version %d", SchemaVersion+98), fmt.Sprintf("reads version %d", SchemaVersion), "--cache"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	checkFile(t, path)
}

// Changing a record changes the layout; the schema version must change
// with it, or an older binary would wipe a newer cache.
func TestLayoutBelongsToSchemaVersion(t *testing.T) {
	if got := newCodec().layout; got != schemaLayout {
		t.Fatalf("the records' layout is %s, schema version %d has %s: increase SchemaVersion and set schemaLayout to %q", got, SchemaVersion, schemaLayout, got)
	}
}

// A file of this schema version with other records is refused, and keeps
// its data.
func TestOtherLayoutOfTheSameVersionIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cache.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(backup("lab", "nfs:kept", time.Now())); err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(keyLayout, []byte("0123456789abcdef")) })
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	_, err = Open(path, Options{})
	var se *SchemaError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, want a SchemaError", err)
	}
	for _, want := range []string{path, "record layout 0123456789abcdef", schemaLayout, "--cache"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	db, err = bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		if tx.Bucket([]byte(KindBackup)).Bucket([]byte("lab")).Get([]byte("nfs:kept")) == nil {
			return errors.New("the refused file lost its rows")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestOlderLayoutIsRebuilt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cache.db")
	// A file without proxbox-tui's schema is another program's: it is
	// refused and kept (see TestForeignBboltFileIsRefusedAndKept).
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(backup("lab", "nfs:new", time.Now())); err != nil {
		t.Fatal(err)
	}
	s.Close()
	// Reopening a current file keeps its data.
	s, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := s.Count(KindBackup, "lab"); n != 1 {
		t.Fatalf("reopened cache lost data: %d rows", n)
	}
	s.Close()
	setSchema(t, path, SchemaVersion-1)
	s, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := s.Count(KindBackup, "lab"); n != 0 {
		t.Fatalf("schema %d cache was not rebuilt: %d rows", SchemaVersion-1, n)
	}
	s.Close()
	checkFile(t, path)
}

func TestGarbageFileNamesThePath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cache.db")
	if err := writeFile(path, strings.Repeat("not a database ", 400)); err != nil {
		t.Fatal(err)
	}
	_, err := Open(path, Options{})
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "--cache") {
		t.Fatalf("garbage file: err = %v", err)
	}
}

func setSchema(t *testing.T, path string, v int) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		b := make([]byte, 4)
		binary.BigEndian.PutUint32(b, uint32(v))
		return tx.Bucket(bucketMeta).Put(keySchema, b)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func checkFile(t *testing.T, path string) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatalf("consistency check of %s: %v", path, err)
	}
}
