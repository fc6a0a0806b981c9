package proxmox

import (
	"context"
	"encoding/json"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/proxbox-tui/proxbox-tui/proxmox/calendar"
	"github.com/proxbox-tui/proxbox-tui/proxmox/prune"
	"github.com/proxbox-tui/proxbox-tui/proxmox/pvesim"
	"github.com/proxbox-tui/proxbox-tui/store"
)

// The truth of a simulated estate, expressed as the records a refresh must
// produce. Written from the simulator's model and the API reference, not
// from the collector's code.

func expectedRecords(tr *pvesim.Truth, ep string, at time.Time) map[store.Kind][]store.Record {
	m := store.Meta{Endpoint: ep, FetchedAt: at}
	out := map[store.Kind][]store.Record{}
	cluster := tr.ClusterName
	if cluster == "" || len(tr.Nodes) == 1 {
		if cluster == "" {
			cluster = ep
		}
	}
	online := map[string]bool{}
	for _, n := range tr.Nodes {
		online[n.Name] = n.Online
		rec := &store.Node{Meta: m, Name: n.Name, Cluster: cluster, NodeID: n.NodeID, IPAddress: n.IP, Online: n.Online,
			Local: n.Name == tr.LocalNode, MaxCPU: n.MaxCPU, MaxMemory: n.MaxMem, MaxDisk: n.MaxDisk,
			SupportLevel: n.Level, SSLFingerprint: n.SSLFingerprint}
		if n.Online {
			rec.CPUUsage, rec.MemoryUsage, rec.DiskUsage, rec.Uptime = n.CPU, n.Mem, n.Disk, n.Uptime
		}
		out[store.KindNode] = append(out[store.KindNode], rec)
	}
	guestOf := map[int]*pvesim.Guest{}
	for _, g := range tr.Guests {
		guestOf[g.VMID] = g
		rec := &store.Guest{Meta: m, VMID: g.VMID, Type: g.Type, Node: g.Node, Lock: g.Lock, Pool: g.Pool, HAState: g.HAState}
		if g.Tags != "" {
			rec.Tags = strings.Split(g.Tags, ";")
		}
		if !g.NoStats && online[g.Node] {
			rec.Name, rec.Status, rec.Template = g.Name, g.Status, g.Template
			if rec.Name == "" {
				rec.Name = map[string]string{"qemu": "VM ", "lxc": "CT"}[g.Type] + strconv.Itoa(g.VMID)
			}
			rec.CPU, rec.MaxCPU, rec.Mem, rec.MaxMem = g.CPU, g.MaxCPU, g.Mem, g.MaxMem
			rec.Disk, rec.MaxDisk, rec.Uptime = g.Disk, g.MaxDisk, g.Uptime
		} else {
			rec.Status = "unknown"
		}
		out[store.KindGuest] = append(out[store.KindGuest], rec)

		if g.Template || !online[g.Node] {
			continue
		}
		for _, s := range g.Snapshots {
			snap := &store.Snapshot{Meta: m, VMID: g.VMID, Subtype: g.Type, Node: g.Node, Name: s.Name,
				Description: s.Description, Parent: s.Parent, VMState: s.VMState && g.Type == "qemu"}
			if s.SnapTime > 0 {
				t := time.Unix(s.SnapTime, 0).UTC()
				snap.Snaptime = &t
			}
			out[store.KindSnapshot] = append(out[store.KindSnapshot], snap)
		}
	}
	policies := map[string]*prune.Options{}
	for _, s := range tr.Storages {
		rec := &store.Storage{Meta: m, Name: s.ID, StorageType: s.Type, Content: s.Content, Path: s.Path, Nodes: s.Nodes,
			Shared: s.IsShared(), Enabled: !s.Disable, Server: s.Server, Export: s.Export, Datastore: s.Datastore,
			Username: s.Username, Namespace: s.Namespace, Pool: s.Pool}
		if s.PruneBackups != "" {
			o, err := prune.ParseString(s.PruneBackups)
			if err == nil {
				policies[s.ID] = &o
			}
			rec.PruneBackups = pvesimProperty(s.PruneBackups)
		}
		if s.MaxProtectedBackups != 0 {
			v := s.MaxProtectedBackups
			rec.MaxProtectedBackups = &v
		}
		for _, n := range tr.Nodes {
			if !s.OnNode(n.Name) || s.Disable {
				continue
			}
			u := store.StorageUsage{Node: n.Name, Active: n.Online, Enabled: true}
			if n.Online {
				u.Total, u.Used, u.Avail = s.Usage[n.Name].Total, s.Usage[n.Name].Used, s.Usage[n.Name].Total-s.Usage[n.Name].Used
			}
			rec.Usage = append(rec.Usage, u)
		}
		out[store.KindStorage] = append(out[store.KindStorage], rec)
	}
	storageOf := map[string]*pvesim.Storage{}
	for _, s := range tr.Storages {
		storageOf[s.ID] = s
	}
	for _, b := range tr.Backups {
		s := storageOf[b.Storage]
		node := b.Node
		if s.IsShared() { // listed once, through the first online node that has it
			node = ""
			for _, n := range sortedOnline(tr) {
				if s.OnNode(n) {
					node = n
					break
				}
			}
		}
		if node == "" || !online[node] || s.Disable {
			continue
		}
		rec := &store.Backup{Meta: m, VolumeID: b.VolID, Storage: b.Storage, Node: node, VMID: b.VMID,
			Subtype: map[string]string{"qemu": "qemu", "lxc": "lxc"}[b.Subtype], Format: b.Format,
			CreationTime: time.Unix(b.CTime, 0).UTC(), Size: b.Size, Notes: firstLine(b.Notes), Protected: b.Protected,
			Encrypted: b.Encrypted}
		if rec.Subtype == "" {
			rec.Subtype = "undefined"
		}
		if v := b.Verification; v != nil {
			rec.VerificationState, rec.VerificationUPID = v.State, v.UPID
		}
		out[store.KindBackup] = append(out[store.KindBackup], rec)
	}
	for _, x := range tr.Tasks {
		if !online[x.Node] {
			continue
		}
		rec := &store.Task{Meta: m, UPID: x.UPID, Node: x.Node, PID: int64(x.PID), PStart: x.PStart, TaskID: x.ID,
			TaskType: x.Type, Username: x.User, TokenID: x.TokenID, StartTime: time.Unix(x.StartTime, 0).UTC()}
		if v, err := strconv.Atoi(x.ID); err == nil {
			rec.VMID = v
		}
		if x.Running() {
			rec.Status, rec.State = "running", store.TaskRunning
			rec.Duration = store.Duration(at.Sub(rec.StartTime))
		} else {
			end := time.Unix(x.EndTime, 0).UTC()
			rec.EndTime, rec.Status, rec.ExitStatus = &end, x.Status, x.Status
			rec.Duration = store.Duration(end.Sub(rec.StartTime))
			switch {
			case x.Status == "OK":
				rec.State = store.TaskOK
			case strings.HasPrefix(x.Status, "WARNINGS"):
				rec.State = store.TaskWarning
			default:
				rec.State = store.TaskError
			}
		}
		out[store.KindTask] = append(out[store.KindTask], rec)
	}
	for _, j := range tr.BackupJobs {
		rec := &store.BackupRoutine{Meta: m, JobID: j.ID, Enabled: j.IsEnabled(), Schedule: j.Schedule, Node: j.Node,
			Storage: j.Storage, All: j.All, Pool: j.Pool, Mode: j.Mode, Compress: j.Compress, NotesTemplate: j.NotesTemplate,
			Comment: j.Comment, PBSChangeDetectionMode: j.PBSChangeDetectionMode, Status: store.StatusActive,
			Selection: []int{}, Bwlimit: j.BWLimit, Zstd: j.Zstd, NotificationMode: j.NotificationMode, MailTo: j.MailTo,
			MailNotification: j.MailNotification}
		for _, v := range strings.Split(j.VMID, ",") {
			if n, err := strconv.Atoi(v); err == nil {
				rec.Selection = append(rec.Selection, n)
			}
		}
		for _, v := range strings.Split(j.Exclude, ",") {
			if n, err := strconv.Atoi(v); err == nil {
				rec.Exclude = append(rec.Exclude, n)
			}
		}
		if j.RepeatMissed {
			b := true
			rec.RepeatMissed = &b
		}
		if w, err := strconv.Atoi(j.Performance["max-workers"]); err == nil {
			rec.IOWorkers = &w
		}
		if len(j.Fleecing) > 0 {
			rec.Fleecing = PropertyMap(j.Fleecing).String()
			rec.FleecingStorage = j.Fleecing["storage"]
		}
		var jobPolicy *prune.Options
		if j.PruneBackups != nil {
			o, err := prune.ParseValue(j.PruneBackups)
			if err == nil {
				jobPolicy = &o
			}
		}
		policy, source := prune.Effective(jobPolicy, policies[j.Storage])
		setRetention(rec, policy.Normalized())
		rec.RetentionSource = string(source)
		if rec.Enabled {
			ev, err := calendar.Parse(j.Schedule)
			if err == nil {
				if t, ok := ev.Next(at, tr.Location); ok {
					t = t.UTC()
					rec.NextRun = &t
				}
			}
		}
		out[store.KindBackupRoutine] = append(out[store.KindBackupRoutine], rec)
	}
	for _, j := range tr.ReplicationJobs {
		rec := &store.Replication{Meta: m, ReplicationID: j.ID, Guest: j.Guest, JobNum: j.JobNum, Target: j.Target,
			Source: j.Source, JobType: "local", Schedule: j.Schedule, Comment: j.Comment, Disable: j.Disable,
			RemoveJob: j.RemoveJob, Status: store.StatusActive}
		if rec.Schedule == "" {
			rec.Schedule = "*/15"
		}
		if j.Rate != 0 {
			r := j.Rate
			rec.Rate = &r
		}
		if g := guestOf[j.Guest]; g != nil && online[g.Node] {
			ts := func(v int64) *time.Time {
				if v <= 0 {
					return nil
				}
				t := time.Unix(v, 0).UTC()
				return &t
			}
			next := j.NextSync
			if j.RemoveJob != "" {
				next = 1
			}
			rec.LastSync, rec.LastTry, rec.NextSync = ts(j.LastSync), ts(j.LastTry), ts(next)
			rec.Duration = store.Duration(j.Duration * float64(time.Second))
			rec.FailCount, rec.Error = j.FailCount, j.Error
			rec.State = replicationState(rec, j.PID != 0)
		} else {
			rec.State = replicationState(rec, false)
		}
		out[store.KindReplication] = append(out[store.KindReplication], rec)
	}
	return out
}

func sortedOnline(tr *pvesim.Truth) []string {
	var out []string
	for _, n := range tr.Nodes {
		if n.Online {
			out = append(out, n.Name)
		}
	}
	sort.Strings(out)
	return out
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// pvesimProperty normalises a property string the way the collector shows
// it (keys sorted).
func pvesimProperty(s string) string { return ParsePropertyString(s).String() }

// compareWithTruth deep-compares the cache with the expected records of
// every kind; raw_config is checked for presence only (it is Proxmox's
// own text).
func compareWithTruth(t *testing.T, st *store.Store, want map[store.Kind][]store.Record, ep string) {
	t.Helper()
	for _, kind := range []store.Kind{store.KindNode, store.KindGuest, store.KindStorage, store.KindBackup,
		store.KindSnapshot, store.KindTask, store.KindBackupRoutine, store.KindReplication} {
		got := map[string]string{}
		err := st.EachRecord(kind, ep, func(r store.Record) bool {
			got[r.RecordKey()] = recordJSON(t, r, true)
			return true
		})
		if err != nil {
			t.Fatal(err)
		}
		exp := map[string]string{}
		for _, r := range want[kind] {
			exp[r.RecordKey()] = recordJSON(t, r, false)
		}
		diffs := 0
		for k, w := range exp {
			g, ok := got[k]
			switch {
			case !ok:
				t.Errorf("%s %s %s: missing from the cache", ep, kind, k)
			case g != w:
				t.Errorf("%s %s %s differs:\n got  %s\n want %s", ep, kind, k, g, w)
			default:
				continue
			}
			if diffs++; diffs > 3 {
				t.Fatalf("%s %s: more differences follow", ep, kind)
			}
		}
		for k := range got {
			if _, ok := exp[k]; !ok {
				t.Errorf("%s %s %s: in the cache but not in the truth", ep, kind, k)
			}
		}
		if len(exp) == 0 && kind != store.KindReplication {
			t.Errorf("%s %s: the truth has none; the comparison proves nothing", ep, kind)
		}
	}
}

func recordJSON(t *testing.T, r store.Record, fromCache bool) string {
	v := reflect.ValueOf(r).Elem()
	if f := v.FieldByName("RawConfig"); f.IsValid() {
		if fromCache && (f.Len() == 0 || !strings.Contains(string(f.Bytes()), `"`)) {
			t.Errorf("%s %s: raw_config is empty", r.RecordKind(), r.RecordKey())
		}
		f.SetBytes(nil)
	}
	if g, ok := r.(*store.Storage); ok {
		sort.Slice(g.Usage, func(i, j int) bool { return g.Usage[i].Node < g.Usage[j].Node })
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRefreshDemoEqualsTruth(t *testing.T) {
	d, st, now := demoWithStore(t, 7)
	for _, srv := range []*pvesim.Server{d.Lab, d.Edge} {
		tr := srv.Sim.Estate().Snapshot()
		ep := tr.Endpoint
		// The root token sees every volume, the non-standard names included.
		c, err := NewClient(Config{Name: ep, URL: srv.URL, TokenID: pvesim.RootTokenID, TokenSecret: pvesim.RootTokenSecret,
			TLS: TLSConfig{Fingerprint: pinOf(srv)}, Location: tr.Location})
		if err != nil {
			t.Fatal(err)
		}
		res, err := NewRefresher(c, st, now, nil).RefreshNow(context.Background(), TierFull)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range res.Failures {
			t.Errorf("%s: failed scope %s %s: %v", ep, f.Kind, f.Scope, f.Err)
		}
		if res.Endpoint.Health != store.HealthOK {
			t.Errorf("%s health %s: %s", ep, res.Endpoint.Health, res.Endpoint.HealthReason)
		}
		compareWithTruth(t, st, expectedRecords(tr, ep, now()), ep)
		if err := st.Check(); err != nil {
			t.Fatal(err)
		}
	}
}
