package store

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// syntheticBackups builds n backups spread over storages and nodes the way a
// large estate lists them.
func syntheticBackups(endpoint string, n int, fetched time.Time) map[string][]Record {
	scopes := map[string][]Record{}
	base := time.Date(2026, 9, 1, 2, 0, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		vmid := 100 + i%5000
		storage := fmt.Sprintf("backup-%d", i%8)
		node := fmt.Sprintf("pve%02d", i%16)
		ctime := base.Add(time.Duration(i) * time.Minute)
		typ, sub := "vzdump-qemu", "qemu"
		if vmid%3 == 0 {
			typ, sub = "vzdump-lxc", "lxc"
		}
		b := &Backup{
			Meta:         Meta{Endpoint: endpoint, FetchedAt: fetched},
			VolumeID:     fmt.Sprintf("%s:backup/%s-%d-%s.vma.zst", storage, typ, vmid, ctime.Format("2006_01_02-15_04_05")),
			Storage:      storage,
			Node:         node,
			VMID:         vmid,
			Subtype:      sub,
			Format:       "vma.zst",
			CreationTime: ctime,
			Size:         int64(1<<30 + i*4096),
			Notes:        fmt.Sprintf("guest-%d nightly", vmid),
			Protected:    i%97 == 0,
			Encrypted:    "",
		}
		if i%2 == 0 {
			b.VerificationState = "ok"
			b.VerificationUPID = fmt.Sprintf("UPID:pbs:%08X:%08X:%08X:verificationjob::root@pam:", i, i*7, i*13)
		}
		scope := storage + "@" + node
		scopes[scope] = append(scopes[scope], b)
	}
	return scopes
}

func BenchmarkLoadBackups(b *testing.B) {
	const n = 100_000
	s, err := Open(filepath.Join(b.TempDir(), "cache.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	var writes []ScopeWrite
	for scope, recs := range syntheticBackups("lab", n, time.Now()) {
		writes = append(writes, ScopeWrite{Kind: KindBackup, Endpoint: "lab", Scope: scope, Records: recs})
	}
	if err := s.ReplaceScopes(writes...); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		got, err := List[Backup](s, "")
		if err != nil {
			b.Fatal(err)
		}
		if len(got) != n {
			b.Fatalf("loaded %d backups, want %d", len(got), n)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/load")
	b.ReportMetric(n, "backups")
}
