package store

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// The size the store checks is the size it writes, for every kind and for
// fields at their zero value and filled.
func TestCodecSizeMatchesEncoding(t *testing.T) {
	c := newCodec()
	rng := rand.New(rand.NewPCG(7, 9))
	for _, k := range Kinds() {
		for i := 0; i < 20; i++ {
			rec, err := New(k)
			if err != nil {
				t.Fatal(err)
			}
			if i > 0 {
				rec = randomRecord(t, rng, k, "lab")
			}
			row, err := c.encode(nil, rec)
			if err != nil {
				t.Fatal(err)
			}
			n, err := c.size(rec)
			if err != nil || n != len(row) {
				t.Fatalf("%s #%d: size %d (%v), encoded %d bytes", k, i, n, err, len(row))
			}
		}
	}
}

// A row the store cannot take is refused with an error that names the kind,
// the key (cut short) and the bound; nothing of the write is applied, and
// no panic. The same check is offered to writers as CheckRecord.
func TestStoreRefusesUnstorableRows(t *testing.T) {
	at := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	huge := "pbs:backup/" + strings.Repeat("x", 10<<20)
	tests := []struct {
		name   string
		rec    Record
		scope  string
		want   string // in the error
		record bool   // the error is a *RecordError (CheckRecord fails too)
	}{
		{name: "empty key", rec: backup("lab", "", at), scope: "nfs", want: "backups record: empty key", record: true},
		{name: "10 MB key", rec: backup("lab", huge, at), scope: "nfs", want: `backups record "pbs:backup/xxx`, record: true},
		{name: "key just over", rec: backup("lab", strings.Repeat("k", MaxKeyBytes+1), at), scope: "nfs",
			want: "key of 4097 bytes exceeds 4096", record: true},
		{name: "2 MB of notes", rec: func() Record {
			b := backup("lab", "nfs:backup/big", at)
			b.Notes = strings.Repeat("n", 2<<20)
			return b
		}(), scope: "nfs", want: "exceed 1048576", record: true},
		{name: "huge scope name", rec: backup("lab", "nfs:backup/a", at), scope: strings.Repeat("s", MaxScopeBytes+1),
			want: "scope name of 8194 bytes exceeds 8193"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := openTemp(t)
			good := backup("lab", "nfs:backup/good", at)
			if err := s.ReplaceScopes(ScopeWrite{Kind: KindBackup, Endpoint: "lab", Scope: "nfs", Records: []Record{good}}); err != nil {
				t.Fatal(err)
			}
			err := s.ReplaceScopes(
				ScopeWrite{Kind: KindBackup, Endpoint: "lab", Scope: "nfs", Records: nil},
				ScopeWrite{Kind: KindBackup, Endpoint: "lab", Scope: tc.scope, Records: []Record{tc.rec}},
			)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("write: %v, want an error with %q", err, tc.want)
			}
			if len(err.Error()) > 400 {
				t.Errorf("error of %d bytes: the key is not cut", len(err.Error()))
			}
			var re *RecordError
			if errors.As(err, &re) != tc.record {
				t.Errorf("error %T: RecordError %v, want %v", err, errors.As(err, &re), tc.record)
			}
			if tc.record {
				if cerr := CheckRecord(tc.rec); cerr == nil || !strings.Contains(cerr.Error(), tc.want) {
					t.Errorf("CheckRecord: %v", cerr)
				}
				if perr := s.Put(tc.rec); perr == nil || !strings.Contains(perr.Error(), tc.want) {
					t.Errorf("Put: %v", perr)
				}
			}
			got, err := List[Backup](s, "lab")
			if err != nil || len(got) != 1 || got[0].VolumeID != good.VolumeID {
				t.Fatalf("after a refused write the cache holds %v (%v), want only the earlier row", volids(got), err)
			}
		})
	}
	if err := CheckRecord(backup("lab", "nfs:backup/ok", at)); err != nil {
		t.Errorf("CheckRecord of a plain backup: %v", err)
	}
}

// Keep leaves the named rows of a replaced scope as they were cached, and
// only those.
func TestReplaceScopeKeep(t *testing.T) {
	s := openTemp(t)
	t0, t1 := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC), time.Date(2026, 11, 28, 13, 0, 0, 0, time.UTC)
	first := []Record{backup("lab", "nfs:a", t0), backup("lab", "nfs:b", t0), backup("lab", "nfs:c", t0)}
	if err := s.ReplaceScopes(ScopeWrite{Kind: KindBackup, Endpoint: "lab", Scope: "nfs", Records: first}); err != nil {
		t.Fatal(err)
	}
	w := ScopeWrite{Kind: KindBackup, Endpoint: "lab", Scope: "nfs", Records: []Record{backup("lab", "nfs:a", t1)}, Keep: []string{"nfs:b"}}
	if err := s.ReplaceScopes(w); err != nil {
		t.Fatal(err)
	}
	got, err := List[Backup](s, "lab")
	if err != nil {
		t.Fatal(err)
	}
	if ids := strings.Join(volids(got), " "); ids != "nfs:a nfs:b" {
		t.Fatalf("rows %s, want nfs:a nfs:b", ids)
	}
	for _, b := range got {
		if want := map[string]time.Time{"nfs:a": t1, "nfs:b": t0}[b.VolumeID]; !b.FetchedAt.Equal(want) {
			t.Errorf("%s fetched at %v, want %v", b.VolumeID, b.FetchedAt, want)
		}
	}
}
