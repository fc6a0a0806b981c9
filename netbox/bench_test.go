package netbox

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/proxbox-tui/proxbox-tui/netbox/nbsim"
	"github.com/proxbox-tui/proxbox-tui/store"
)

// The push cost model of QUALITY: 10 ms per request, 0.2 ms per object.
const (
	benchLatency   = 10 * time.Millisecond
	benchPerObject = 200 * time.Microsecond
)

// largeStore writes a cache of the large preset's shape directly: 3
// clusters x 16 nodes, 5,000 guests, 100,000 backups, 20,000 snapshots,
// 100,000 tasks, 300 backup jobs and 1,000 replication jobs.
func largeStore(b *testing.B) *store.Store {
	b.Helper()
	st, err := store.Open(filepath.Join(b.TempDir(), "large.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	at := demoNow
	guestsPer := []int{1667, 1667, 1666}
	replPer := []int{334, 333, 333}
	for c := 0; c < 3; c++ {
		ep := fmt.Sprintf("large%d", c+1)
		m := store.Meta{Endpoint: ep, FetchedAt: at}
		var writes []store.ScopeWrite
		w := func(k store.Kind, recs []store.Record) {
			writes = append(writes, store.ScopeWrite{Kind: k, Endpoint: ep, Scope: "all", Records: recs})
		}
		w(store.KindEndpoint, []store.Record{&store.Endpoint{Meta: m, Name: ep, Type: "proxmox", URL: fmt.Sprintf("https://pve-%s.example.com:8006", ep),
			Domain: "pve-" + ep + ".example.com", Port: 8006, AuthKind: "token", Username: "tui@pve", TokenName: "ro", Version: "9.1.1",
			RepoID: "c62ab1e8", ClusterName: ep, Mode: "cluster", Quorate: true, NodeCount: 16, Health: store.HealthOK, LastSuccess: &at}})
		var nodes []store.Record
		for n := 0; n < 16; n++ {
			nodes = append(nodes, &store.Node{Meta: m, Name: fmt.Sprintf("%s-pve%02d", ep, n+1), Cluster: ep, NodeID: n + 1,
				IPAddress: fmt.Sprintf("10.%d.0.%d", c, n+1), Online: true, MaxCPU: 64, MaxMemory: 256 << 30})
		}
		w(store.KindNode, nodes)
		for n := 0; n < 16; n++ {
			node := fmt.Sprintf("%s-pve%02d", ep, n+1)
			nic := func(name, typ string) *store.Interface {
				return &store.Interface{Meta: m, Owner: store.OwnerNode, Node: node, Name: name, Type: typ, Active: true}
			}
			eno1, eno2, bond, br := nic("eno1", "eth"), nic("eno2", "eth"), nic("bond0", "bond"), nic("vmbr0", "bridge")
			eno1.MAC, eno2.MAC = fmt.Sprintf("AA:BB:%02X:%02X:00:01", c, n), fmt.Sprintf("AA:BB:%02X:%02X:00:02", c, n)
			bond.BondSlaves, br.BridgePorts = []string{"eno1", "eno2"}, []string{"bond0"}
			br.Addresses = []store.InterfaceAddress{{Address: fmt.Sprintf("10.%d.0.%d/16", c, n+1), Family: "ipv4", Source: store.AddrFromNode}}
			writes = append(writes, store.ScopeWrite{Kind: store.KindInterface, Endpoint: ep, Scope: store.NodeInterfaceScope(node),
				Records: []store.Record{eno1, eno2, bond, br}})
		}
		var storages []store.Record
		for _, s := range []struct{ name, typ string }{{"local", "dir"}, {"local-lvm", "lvmthin"}, {"nfs", "nfs"}, {"pbs", "pbs"}} {
			storages = append(storages, &store.Storage{Meta: m, Name: s.name, StorageType: s.typ, Content: "backup,images", Enabled: true,
				RawConfig: json.RawMessage(`{"type":"` + s.typ + `"}`)})
		}
		w(store.KindStorage, storages)
		var guests, backups, snaps, tasks, jobs, repls []store.Record
		for g := 0; g < guestsPer[c]; g++ {
			vmid := 100 + g
			typ := "qemu"
			if g%3 == 0 {
				typ = "lxc"
			}
			node := fmt.Sprintf("%s-pve%02d", ep, g%16+1)
			guests = append(guests, &store.Guest{Meta: m, VMID: vmid, Type: typ, Name: fmt.Sprintf("g%d-%d", c, vmid), Node: node,
				Status: "running", Tags: []string{"bench"}, MaxCPU: 2, MaxMem: 4 << 30, MaxDisk: 32 << 30})
			// One NIC with an IPv4 and an IPv6 address (every fourth on VLAN
			// 10), every fifth guest a second NIC without addresses.
			net0 := &store.Interface{Meta: m, Owner: store.OwnerGuest, Node: node, GuestType: typ, VMID: vmid, Name: "net0", ConfigKey: "net0",
				GuestName: "eth0", Type: "virtio", MAC: fmt.Sprintf("BC:24:%02X:%02X:%02X:00", c, g/256, g%256), Bridge: "vmbr0",
				Hostname: fmt.Sprintf("g%d-%d", c, vmid), Agent: store.AgentOK, Addresses: []store.InterfaceAddress{
					{Address: fmt.Sprintf("10.%d.%d.%d/16", 100+c, g/250, g%250+1), Family: "ipv4", Source: store.AddrFromAgent},
					{Address: fmt.Sprintf("2001:db8:%x::%x/64", c, vmid), Family: "ipv6", Source: store.AddrFromAgent}}}
			if g%4 == 0 {
				net0.Tag = 10
			}
			nics := []store.Record{net0}
			if g%5 == 0 {
				nics = append(nics, &store.Interface{Meta: m, Owner: store.OwnerGuest, Node: node, GuestType: typ, VMID: vmid, Name: "net1",
					ConfigKey: "net1", GuestName: "eth1", Type: "e1000", MAC: fmt.Sprintf("BC:24:%02X:%02X:%02X:01", c, g/256, g%256), Bridge: "vmbr0"})
			}
			writes = append(writes, store.ScopeWrite{Kind: store.KindInterface, Endpoint: ep, Scope: store.GuestKey(typ, vmid), Records: nics})
			nb := 20
			if g < 100000-20*(guestsPer[0]+guestsPer[1]+guestsPer[2]) {
				nb++ // spread the remainder
			}
			for i := 0; i < nb; i++ {
				ct := at.Add(-time.Duration(i) * 24 * time.Hour)
				backups = append(backups, &store.Backup{Meta: m, VolumeID: fmt.Sprintf("pbs:backup/vm/%d/%s", vmid, ct.Format(time.RFC3339)),
					Storage: "pbs", VMID: vmid, Subtype: typ, Format: "pbs-vm", CreationTime: ct, Size: 1 << 30})
			}
			for i := 0; i < 4; i++ {
				st := at.Add(-time.Duration(i) * time.Hour)
				snaps = append(snaps, &store.Snapshot{Meta: m, VMID: vmid, Subtype: typ, Node: node, Name: fmt.Sprintf("snap%d", i), Snaptime: &st})
			}
			for i := 0; i < nb; i++ {
				start := at.Add(-time.Duration(i) * time.Hour)
				end := start.Add(time.Minute)
				upid := fmt.Sprintf("UPID:%s:%08X:%08X:%08X:qmstart:%d:root@pam:", node, g, i, start.Unix(), vmid)
				tasks = append(tasks, &store.Task{Meta: m, UPID: upid, Node: node, PID: int64(g), TaskID: fmt.Sprint(vmid), TaskType: "qmstart",
					Username: "root@pam", StartTime: start, EndTime: &end, Status: "OK", ExitStatus: "OK", VMID: vmid})
			}
		}
		for j := 0; j < 100; j++ {
			keep := 3
			jobs = append(jobs, &store.BackupRoutine{Meta: m, JobID: fmt.Sprintf("backup-%s-%03d", ep, j), Enabled: true, Schedule: "21:00",
				Storage: "pbs", Selection: []int{100 + j}, KeepLast: &keep, Status: store.StatusActive, RawConfig: json.RawMessage(`{"mode":"snapshot"}`)})
		}
		for r := 0; r < replPer[c]; r++ {
			repls = append(repls, &store.Replication{Meta: m, ReplicationID: fmt.Sprintf("%d-1", 100+r), Guest: 100 + r, JobNum: 1,
				Target: ep + "-pve02", JobType: "local", Schedule: "*/15", Status: store.StatusActive})
		}
		w(store.KindGuest, guests)
		w(store.KindBackup, backups)
		w(store.KindSnapshot, snaps)
		w(store.KindTask, tasks)
		w(store.KindBackupRoutine, jobs)
		w(store.KindReplication, repls)
		if err := st.ReplaceScopes(writes...); err != nil {
			b.Fatal(err)
		}
	}
	return st
}

// anchorSeconds is the proxbox-api pacing model on the same cost model:
// one request at a time, bulk batches of 50 with a 0.5 s pause, backups in
// batches of 5 with a 0.2 s pause, interfaces and what hangs on them (MACs,
// primary MACs, links) in batches of 5 with a 0.1 s pause
// (interface_batch_size, interface_batch_delay_ms).
func anchorSeconds(plan *Plan) float64 {
	total := 0.0
	for _, k := range plan.Kinds {
		n := k.Create + k.Update
		if n == 0 {
			continue
		}
		batch, pause := 50.0, 0.5
		switch k.Kind {
		case KindBackup:
			batch, pause = 5, 0.2
		case KindNodeInterface, KindVMInterface, KindMAC, KindNodeIfaceLinks, KindVMIfaceMAC:
			batch, pause = 5, 0.1
		}
		batches := math.Ceil(float64(n) / batch)
		total += batches*(benchLatency.Seconds()+pause) + float64(n)*benchPerObject.Seconds()
	}
	return total
}

func benchSettings() Settings {
	s := DefaultSettings()
	s.Concurrency = 8
	return s
}

func benchPush(b *testing.B, c *Client, st *store.Store) (*Plan, *Result, time.Duration) {
	b.Helper()
	ctx := context.Background()
	start := time.Now()
	plan, err := NewPlanner(c, st, benchSettings()).Plan(ctx, Scope{})
	if err != nil {
		b.Fatal(err)
	}
	res, err := NewApplier(c, st, benchSettings()).Apply(ctx, plan, nil)
	if err != nil {
		b.Fatal(err)
	}
	if !res.OK() {
		b.Fatalf("%d failures, first: %s", len(res.Failures), res.Failures[0].Message)
	}
	return plan, res, time.Since(start)
}

// BenchmarkPushLarge is the initial push of the large estate.
func BenchmarkPushLarge(b *testing.B) {
	st := largeStore(b)
	var writes, secs, speedup float64
	for b.Loop() {
		b.StopTimer()
		s := startNetBox(b, nbsim.Options{Version: "4.6", Plugin: true, Latency: benchLatency, PerObjectCost: benchPerObject})
		c := newClient(b, s)
		b.StartTimer()
		plan, _, took := benchPush(b, c, st)
		b.StopTimer()
		writes = float64(s.Counters().Writes)
		secs = took.Seconds()
		speedup = anchorSeconds(plan) / secs
		s.Close()
		b.StartTimer()
	}
	b.ReportMetric(writes, "write-requests/op")
	b.ReportMetric(secs, "seconds/op")
	b.ReportMetric(speedup, "speedup-vs-anchor")
}

// BenchmarkPushNoop pushes the large estate again with nothing changed:
// no writes, and reads within ceil(objects / 1000) + kinds.
func BenchmarkPushNoop(b *testing.B) {
	st := largeStore(b)
	s := startNetBox(b, nbsim.Options{Version: "4.6", Plugin: true, Latency: benchLatency, PerObjectCost: benchPerObject})
	c := newClient(b, s)
	benchPush(b, c, st)
	objects := 0
	for _, path := range s.Endpoints() {
		objects += s.Count(path)
	}
	var reads, writes float64
	var plan *Plan
	for b.Loop() {
		s.ResetCounters()
		plan, _, _ = benchPush(b, c, st)
		cnt := s.Counters()
		reads, writes = float64(cnt.Reads), float64(cnt.Writes)
	}
	budget := math.Ceil(float64(objects)/1000) + float64(len(plan.Kinds))
	b.ReportMetric(writes, "write-requests/op")
	b.ReportMetric(reads, "read-requests/op")
	b.ReportMetric(budget, "read-budget")
	if writes != 0 || reads > budget {
		b.Fatalf("no-op push: %v writes, %v reads (budget %v)", writes, reads, budget)
	}
}
