package tui

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/proxbox-tui/proxbox-tui/store"
)

// The large estate of the performance budgets: 3 clusters of 16 nodes,
// 5,000 guests, 100,000 backups, 20,000 snapshots, 100,000 tasks, 300
// backup jobs and 1,000 replication jobs. It is built once per test binary.

const (
	largeClusters    = 3
	largeNodes       = 16
	largeGuests      = 5000
	largeBackups     = 100_000
	largeSnapshots   = 20_000
	largeTasks       = 100_000
	largeJobs        = 300
	largeReplication = 1000
)

var largeOnce struct {
	sync.Once
	path string
	err  error
}

// largeEstatePath returns the cache file of the large estate, building it
// on first use; TestMain removes it.
func largeEstatePath(tb testing.TB) string {
	tb.Helper()
	largeOnce.Do(func() {
		dir, err := os.MkdirTemp("", "proxbox-tui-large-")
		if err != nil {
			largeOnce.err = err
			return
		}
		largeOnce.path = filepath.Join(dir, "cache.db")
		s, err := store.Open(largeOnce.path, store.Options{})
		if err != nil {
			largeOnce.err = err
			return
		}
		defer s.Close()
		largeOnce.err = buildLargeEstate(s, estateNow)
	})
	if largeOnce.err != nil {
		tb.Fatal(largeOnce.err)
	}
	return largeOnce.path
}

func largeEstate(tb testing.TB) *store.Store {
	tb.Helper()
	s, err := store.Open(largeEstatePath(tb), store.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func largeEndpoints() []EndpointInfo {
	var out []EndpointInfo
	for c := 0; c < largeClusters; c++ {
		out = append(out, EndpointInfo{Name: fmt.Sprintf("cluster%d", c), Location: estateLocation()})
	}
	return out
}

func buildLargeEstate(s *store.Store, now time.Time) error {
	meta := func(ep string) store.Meta { return store.Meta{Endpoint: ep, FetchedAt: now.Add(-20 * time.Second)} }
	ep := func(i int) string { return fmt.Sprintf("cluster%d", i%largeClusters) }
	node := func(i int) string { return fmt.Sprintf("pve%02d", i%largeNodes+1) }
	put := func(recs []store.Record) error {
		for len(recs) > 0 {
			n := min(len(recs), 20000)
			if err := s.Put(recs[:n]...); err != nil {
				return err
			}
			recs = recs[n:]
		}
		return nil
	}
	ip := func(n int) *int { return &n }
	var recs []store.Record
	for c := 0; c < largeClusters; c++ {
		ok := now.Add(-15 * time.Second)
		recs = append(recs, &store.Endpoint{Meta: meta(ep(c)), Name: ep(c), Type: "proxmox", Version: "9.1.1",
			ClusterName: ep(c), Mode: "cluster", Quorate: true, NodeCount: largeNodes, GuestCount: largeGuests / largeClusters,
			Health: store.HealthOK, LastSuccess: &ok})
		for n := 0; n < largeNodes; n++ {
			recs = append(recs, &store.Node{Meta: meta(ep(c)), Name: node(n), Online: true, MaxCPU: 64, MaxMemory: 512 << 30})
		}
		for _, st := range []string{"local", "local-lvm", "nfs", "pbs"} {
			typ := map[string]string{"local": "dir", "local-lvm": "lvmthin", "nfs": "nfs", "pbs": "pbs"}[st]
			recs = append(recs, &store.Storage{Meta: meta(ep(c)), Name: st, StorageType: typ, Content: "backup,images",
				Shared: st == "nfs" || st == "pbs", Enabled: true, PruneBackups: "keep-last=3,keep-daily=7",
				Usage: []store.StorageUsage{{Node: "pve01", Active: true, Total: 10 << 40, Used: 4 << 40}}})
		}
	}
	for g := 0; g < largeGuests; g++ {
		typ := "qemu"
		if g%3 == 0 {
			typ = "lxc"
		}
		recs = append(recs, &store.Guest{Meta: meta(ep(g)), VMID: 100 + g, Type: typ, Name: fmt.Sprintf("guest-%04d", g),
			Node: node(g / largeClusters), Status: "running", Pool: fmt.Sprintf("pool%d", g%20)})
	}
	for j := 0; j < largeJobs; j++ {
		r := &store.BackupRoutine{Meta: meta(ep(j)), JobID: fmt.Sprintf("backup-%04d", j), Enabled: j%10 != 0,
			Schedule: []string{"21:00", "sat 02:00", "mon..fri 22:30", "*/6:00"}[j%4], Storage: []string{"pbs", "nfs"}[j%2],
			Mode: "snapshot", KeepLast: ip(3), KeepDaily: ip(7), RetentionSource: "job", Status: store.StatusActive}
		if j%15 == 0 {
			r.Pool = fmt.Sprintf("pool%d", j%20)
		} else {
			for k := 0; k < 17; k++ {
				r.Selection = append(r.Selection, 100+(j*17+k)%largeGuests)
			}
		}
		recs = append(recs, r)
	}
	for r := 0; r < largeReplication; r++ {
		g := r * 5 % largeGuests
		last := now.Add(-time.Duration(r%30) * time.Minute)
		next := now.Add(time.Duration(15-r%15) * time.Minute)
		rp := &store.Replication{Meta: meta(ep(g)), ReplicationID: fmt.Sprintf("%d-0", 100+g), Guest: 100 + g, Target: node(g + 1),
			Source: node(g), JobType: "local", Schedule: "*/15", Status: store.StatusActive, LastSync: &last, NextSync: &next,
			Duration: store.Duration(3 * time.Second)}
		if r%50 == 0 {
			rp.FailCount, rp.Error = 2, "command 'zfs send' failed: broken pipe"
		}
		recs = append(recs, rp)
	}
	if err := put(recs); err != nil {
		return err
	}
	recs = recs[:0]
	for i := 0; i < largeBackups; i++ {
		g := i % largeGuests
		typ, kind := "qemu", "vma.zst"
		if g%3 == 0 {
			typ, kind = "lxc", "tar.zst"
		}
		storage := []string{"pbs", "nfs", "local"}[i%3]
		at := now.Add(-time.Duration(i/largeGuests) * 24 * time.Hour).Add(-time.Duration(g) * time.Second)
		volid := fmt.Sprintf("%s:backup/vzdump-%s-%d-%s.%s", storage, typ, 100+g, at.Format("2006_01_02-15_04_05"), kind)
		recs = append(recs, &store.Backup{Meta: meta(ep(g)), VolumeID: volid, Storage: storage, Node: node(g / largeClusters),
			VMID: 100 + g, Subtype: typ, Format: kind, CreationTime: at, Size: int64(1<<30 + i*4096),
			Notes: fmt.Sprintf("guest-%04d nightly", g), Protected: i%997 == 0, VerificationState: []string{"ok", "", "failed"}[i%3]})
	}
	if err := put(recs); err != nil {
		return err
	}
	recs = recs[:0]
	for i := 0; i < largeSnapshots; i++ {
		g := i % largeGuests
		typ := "qemu"
		if g%3 == 0 {
			typ = "lxc"
		}
		t := now.Add(-time.Duration(i) * time.Minute)
		parent := ""
		if i >= largeGuests {
			parent = fmt.Sprintf("snap%d", i/largeGuests-1)
		}
		recs = append(recs, &store.Snapshot{Meta: meta(ep(g)), VMID: 100 + g, Subtype: typ, Node: node(g / largeClusters),
			Name: fmt.Sprintf("snap%d", i/largeGuests), Description: "before change " + fmt.Sprint(i), Snaptime: &t, Parent: parent})
	}
	if err := put(recs); err != nil {
		return err
	}
	recs = recs[:0]
	for i := 0; i < largeTasks; i++ {
		g := i % largeGuests
		start := now.Add(-time.Duration(i) * 37 * time.Second)
		end := start.Add(time.Duration(5+i%300) * time.Second)
		typ := []string{"vzdump", "qmstart", "qmshutdown", "vncproxy", "qmsnapshot"}[i%5]
		t := &store.Task{Meta: meta(ep(g)), UPID: fmt.Sprintf("UPID:%s:%08X:%08X:%08X:%s:%d:root@pam:", node(g), i, i*7, start.Unix(), typ, 100+g),
			Node: node(g), TaskType: typ, TaskID: fmt.Sprint(100 + g), VMID: 100 + g, Username: "root@pam", StartTime: start,
			EndTime: &end, Duration: store.Duration(end.Sub(start)), Status: "OK", ExitStatus: "OK", State: store.TaskOK}
		if i%40 == 0 {
			t.Status, t.ExitStatus, t.State = "job errors", "job errors", store.TaskError
		}
		recs = append(recs, t)
	}
	return put(recs)
}

func TestMain(m *testing.M) {
	code := m.Run()
	if largeOnce.path != "" {
		os.RemoveAll(filepath.Dir(largeOnce.path))
	}
	os.Exit(code)
}
