package proxmox

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/proxbox-tui/proxbox-tui/proxmox/calendar"
	"github.com/proxbox-tui/proxbox-tui/proxmox/prune"
	"github.com/proxbox-tui/proxbox-tui/store"
)

// Pure conversions from wire items to store records. Each takes the
// endpoint name and the fetch time and returns records ready for a scope.

// epoch turns Proxmox's seconds into a time; a value beyond any calendar
// (a saturated 1e30) stays far out of range instead of overflowing into a
// believable date, so that it exports and shows as invalid.
func epoch(v FlexInt) time.Time {
	const bound = 1 << 50 // about 35 million years
	return time.Unix(max(min(int64(v), bound), -bound), 0).UTC()
}

func epochPtr(v FlexInt) *time.Time {
	if v <= 0 {
		return nil
	}
	t := epoch(v)
	return &t
}

func meta(ep string, at time.Time) store.Meta { return store.Meta{Endpoint: ep, FetchedAt: at} }

// clusterInfo is what /cluster/status says about the cluster as a whole.
type clusterInfo struct {
	name    string
	mode    string // standalone, cluster
	quorate bool
	nodes   map[string]wireClusterStatus
}

func toClusterInfo(items []wireClusterStatus, endpoint string) clusterInfo {
	ci := clusterInfo{nodes: map[string]wireClusterStatus{}}
	hasCluster := false
	for _, it := range items {
		switch it.Type {
		case "cluster":
			hasCluster = true
			ci.name, ci.quorate = it.Name, bool(it.Quorate)
		case "node":
			ci.nodes[it.Name] = it
		}
	}
	// The plugin's rule: exactly one node entry means standalone, which
	// also has no cluster entry (and so no name: use the endpoint's).
	if !hasCluster || len(ci.nodes) == 1 {
		ci.mode = "standalone"
		if !hasCluster {
			ci.name, ci.quorate = endpoint, true
		}
	} else {
		ci.mode = "cluster"
	}
	return ci
}

func toNodes(ep string, at time.Time, ci clusterInfo, res []wireResource, fingerprints map[string]string) []store.Record {
	byName := map[string]*store.Node{}
	for _, r := range res {
		if r.Type != "node" {
			continue
		}
		n := &store.Node{
			Meta: meta(ep, at), Name: r.Node, Cluster: ci.name, Online: r.Status == "online",
			CPUUsage: float64(r.CPU), MaxCPU: int(r.MaxCPU), MemoryUsage: int64(r.Mem), MaxMemory: int64(r.MaxMem),
			DiskUsage: int64(r.Disk), MaxDisk: int64(r.MaxDisk), Uptime: int64(r.Uptime), SupportLevel: r.Level,
		}
		byName[n.Name] = n
	}
	for name, st := range ci.nodes {
		n, ok := byName[name]
		if !ok { // listed by cluster status only
			n = &store.Node{Meta: meta(ep, at), Name: name, Cluster: ci.name, Online: bool(st.Online)}
			byName[name] = n
		}
		n.NodeID, n.IPAddress, n.Local = int(st.NodeID), st.IP, bool(st.Local)
		if st.Level != "" {
			n.SupportLevel = st.Level
		}
	}
	out := make([]store.Record, 0, len(byName))
	for _, n := range byName {
		n.SSLFingerprint = fingerprints[n.Name]
		out = append(out, n)
	}
	sortRecords(out)
	return out
}

// toGuests converts the vm entries of /cluster/resources. A guest on an
// offline node comes without a name: keep the one we knew.
func toGuests(ep string, at time.Time, res []wireResource, knownNames map[string]string) []store.Record {
	var out []store.Record
	for _, r := range res {
		if r.Type != "qemu" && r.Type != "lxc" {
			continue
		}
		g := &store.Guest{
			Meta: meta(ep, at), VMID: int(r.VMID), Type: r.Type, Name: r.Name, Node: r.Node, Status: r.Status,
			Template: bool(r.Template), Tags: splitTags(r.Tags), CPU: float64(r.CPU), MaxCPU: float64(r.MaxCPU),
			Mem: int64(r.Mem), MaxMem: int64(r.MaxMem), Disk: int64(r.Disk), MaxDisk: int64(r.MaxDisk),
			Uptime: int64(r.Uptime), Lock: r.Lock, Pool: r.Pool, HAState: r.HAState,
		}
		if g.Name == "" {
			g.Name = knownNames[g.RecordKey()]
		}
		out = append(out, g)
	}
	sortRecords(out)
	return out
}

func splitTags(s string) []string {
	if s == "" {
		return nil
	}
	var out []string
	for _, t := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == ',' || r == ' ' }) {
		out = append(out, t)
	}
	return out
}

func toStorage(ep string, at time.Time, items []wireStorage, raws []json.RawMessage, res []wireResource) []store.Record {
	usage := map[string][]store.StorageUsage{}
	for _, r := range res {
		if r.Type != "storage" {
			continue
		}
		usage[r.Storage] = append(usage[r.Storage], store.StorageUsage{
			Node: r.Node, Active: r.Status == "available", Enabled: true,
			Total: int64(r.MaxDisk), Used: int64(r.Disk), Avail: max(int64(r.MaxDisk)-int64(r.Disk), 0),
		})
	}
	out := make([]store.Record, 0, len(items))
	for i, it := range items {
		s := &store.Storage{
			Meta: meta(ep, at), Name: it.Storage, StorageType: it.Type, Content: it.Content, Path: it.Path,
			Nodes: it.Nodes, Shared: bool(it.Shared), Enabled: !bool(it.Disable), Server: it.Server, Port: int(it.Port),
			Username: it.Username, Export: it.Export, Share: it.Share, Pool: it.Pool, Monhost: it.Monhost,
			Namespace: it.Namespace, Datastore: it.Datastore, Subdir: it.Subdir, Mountpoint: it.Mountpoint,
			IsMountpoint: it.IsMountpoint, Preallocation: it.Preallocation, Format: it.Format,
			RawConfig: stripKeys(raws[i], "digest"), Usage: usage[it.Storage],
		}
		if it.PruneBackups != nil {
			s.PruneBackups = it.PruneBackups.String()
		}
		if it.MaxProtectedBackups != nil {
			v := int(*it.MaxProtectedBackups)
			s.MaxProtectedBackups = &v
		}
		sort.Slice(s.Usage, func(a, b int) bool { return s.Usage[a].Node < s.Usage[b].Node })
		out = append(out, s)
	}
	sortRecords(out)
	return out
}

// stripKeys drops volatile keys (the whole-file digest) from a raw item.
func stripKeys(raw json.RawMessage, keys ...string) json.RawMessage {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return raw
	}
	for _, k := range keys {
		delete(m, k)
	}
	b, err := json.Marshal(m)
	if err != nil {
		return raw
	}
	return b
}

func toBackups(ep string, at time.Time, node string, items []wireContent) []store.Record {
	out := make([]store.Record, 0, len(items))
	for _, it := range items {
		if it.Content != "" && it.Content != "backup" {
			continue
		}
		storageName, _, _ := strings.Cut(it.VolID, ":")
		b := &store.Backup{
			Meta: meta(ep, at), VolumeID: it.VolID, Storage: storageName, Node: node, VMID: int(it.VMID),
			Subtype: backupSubtype(it), Format: it.Format, CreationTime: epoch(it.CTime), Size: int64(it.Size),
			Used: int64(it.Used), Notes: it.Notes, Protected: bool(it.Protected), Encrypted: string(it.Encrypted),
		}
		if v := it.Verification; v != nil {
			b.VerificationState, b.VerificationUPID = v.State, v.UPID
		}
		out = append(out, b)
	}
	return out
}

// backupSubtype normalises as the plugin does: ct→lxc, vm→qemu, else from
// the volid path.
func backupSubtype(it wireContent) string {
	switch it.Subtype {
	case "qemu", "vm":
		return "qemu"
	case "lxc", "ct", "openvz":
		return "lxc"
	}
	switch {
	case strings.Contains(it.VolID, "/vm/") || strings.Contains(it.VolID, "vzdump-qemu-"):
		return "qemu"
	case strings.Contains(it.VolID, "/ct/") || strings.Contains(it.VolID, "vzdump-lxc-"):
		return "lxc"
	}
	return "undefined"
}

func toSnapshots(ep string, at time.Time, g *store.Guest, items []wireSnapshot) []store.Record {
	var out []store.Record
	for _, it := range items {
		if it.Name == "current" {
			continue
		}
		out = append(out, &store.Snapshot{
			Meta: meta(ep, at), VMID: g.VMID, Subtype: g.Type, Node: g.Node, Name: it.Name,
			Description: it.Description, Snaptime: epochPtr(it.Snaptime), Parent: it.Parent, VMState: bool(it.VMState),
		})
	}
	return out
}

func toTask(ep string, at time.Time, it wireTask) *store.Task {
	user, token := it.User, it.TokenID
	if u, tok, ok := strings.Cut(user, "!"); ok {
		user, token = u, tok
	}
	t := &store.Task{
		Meta: meta(ep, at), UPID: it.UPID, Node: it.Node, PID: int64(it.PID), PStart: int64(it.PStart),
		TaskID: string(it.ID), TaskType: it.Type, Username: user, TokenID: token, StartTime: epoch(it.StartTime),
		EndTime: epochPtr(it.EndTime), ExitStatus: it.Status,
	}
	if t.Node == "" {
		t.Node = upidNode(it.UPID)
	}
	if vmid, err := strconv.Atoi(t.TaskID); err == nil && vmid > 0 {
		t.VMID = vmid
	}
	t.State = taskState(it.Status, t.EndTime)
	t.Status = it.Status
	switch {
	case t.State == store.TaskRunning:
		t.Status, t.ExitStatus = "running", ""
		t.Duration = store.Duration(at.Sub(t.StartTime))
	case t.EndTime != nil:
		t.Duration = store.Duration(t.EndTime.Sub(t.StartTime))
	}
	if t.Status == "" {
		t.Status = "unknown"
	}
	return t
}

func taskState(status string, end *time.Time) string {
	switch {
	case status == "" && end == nil, strings.EqualFold(status, "running"):
		return store.TaskRunning
	case status == "OK":
		return store.TaskOK
	case strings.HasPrefix(status, "WARNINGS"):
		return store.TaskWarning
	}
	return store.TaskError
}

func upidNode(upid string) string {
	parts := strings.Split(upid, ":")
	if len(parts) > 2 && parts[0] == "UPID" {
		return parts[1]
	}
	return ""
}

// storagePolicies maps storage id to its prune-backups as configured.
func storagePolicies(items []wireStorage) map[string]*prune.Options {
	out := map[string]*prune.Options{}
	for _, it := range items {
		if it.PruneBackups == nil {
			continue
		}
		if o, err := prune.ParseValue(map[string]string(*it.PruneBackups)); err == nil {
			out[it.Storage] = &o
		}
	}
	return out
}

func toRoutines(ep string, at time.Time, jobs []wireBackupJob, raws []json.RawMessage, storages map[string]*prune.Options, loc *time.Location) []store.Record {
	out := make([]store.Record, 0, len(jobs))
	for i, j := range jobs {
		r := &store.BackupRoutine{
			Meta: meta(ep, at), JobID: j.ID, Enabled: j.Enabled == nil || bool(*j.Enabled), Schedule: j.Schedule,
			Node: j.Node, Storage: j.Storage, Selection: parseVMIDs(string(j.VMID)), All: bool(j.All),
			Exclude: parseVMIDs(string(j.Exclude)), Pool: j.Pool, Mode: j.Mode, Compress: string(j.Compress),
			NotesTemplate: j.NotesTemplate, Comment: j.Comment, PBSChangeDetectionMode: j.PBSChangeDetectionMode,
			NotificationMode: j.NotificationMode, MailTo: j.MailTo, MailNotification: j.MailNotification,
			Status: store.StatusActive, RawConfig: stripKeys(raws[i], "next-run"),
		}
		if r.Selection == nil {
			r.Selection = []int{}
		}
		r.Bwlimit, r.Zstd, r.IOWorkers = intPtr(j.Bwlimit), intPtr(j.Zstd), intPtr(j.IOWorkers)
		if j.Performance != nil {
			if w, err := strconv.Atoi((*j.Performance)["max-workers"]); err == nil {
				r.IOWorkers = &w
			}
		}
		if j.Fleecing != nil {
			r.Fleecing = j.Fleecing.String()
			r.FleecingStorage = (*j.Fleecing)["storage"]
		}
		if j.RepeatMissed != nil {
			b := bool(*j.RepeatMissed)
			r.RepeatMissed = &b
		}
		var jobPolicy *prune.Options
		if j.PruneBackups != nil {
			if o, err := prune.ParseValue(map[string]string(*j.PruneBackups)); err == nil {
				jobPolicy = &o
			}
		}
		policy, source := prune.Effective(jobPolicy, storages[j.Storage])
		setRetention(r, policy.Normalized())
		r.RetentionSource = string(source)
		if r.Enabled {
			r.NextRun = nextRun(j.Schedule, at, loc, j.NextRun)
		}
		out = append(out, r)
	}
	sortRecords(out)
	return out
}

func setRetention(r *store.BackupRoutine, o prune.Options) {
	if o.KeepAll {
		t := true
		r.KeepAll = &t
		return
	}
	count := func(n int) *int {
		if n <= 0 {
			return nil
		}
		return &n
	}
	r.KeepLast, r.KeepHourly, r.KeepDaily = count(o.KeepLast), count(o.KeepHourly), count(o.KeepDaily)
	r.KeepWeekly, r.KeepMonthly, r.KeepYearly = count(o.KeepWeekly), count(o.KeepMonthly), count(o.KeepYearly)
}

// nextRun computes the schedule's next occurrence after now in the cluster's
// zone; when the expression does not parse, Proxmox's own next-run is used.
func nextRun(schedule string, now time.Time, loc *time.Location, wireNext FlexInt) *time.Time {
	if ev, err := calendar.Parse(schedule); err == nil {
		if t, ok := ev.Next(now, loc); ok {
			t = t.UTC()
			return &t
		}
		return nil
	}
	return epochPtr(wireNext)
}

func intPtr(v *FlexInt) *int {
	if v == nil {
		return nil
	}
	n := int(*v)
	return &n
}

func parseVMIDs(s string) []int {
	var out []int
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == ';' }) {
		if n, err := strconv.Atoi(p); err == nil {
			out = append(out, n)
		}
	}
	return out
}

// toReplication merges the job configuration with the runtime state the
// guests' nodes report; a job whose node did not answer keeps the state we
// knew (prev).
func toReplication(ep string, at time.Time, jobs []wireReplication, raws []json.RawMessage, status map[string]wireReplication, prev map[string]store.Replication) []store.Record {
	out := make([]store.Record, 0, len(jobs))
	for i, j := range jobs {
		r := &store.Replication{
			Meta: meta(ep, at), ReplicationID: j.ID, Guest: int(j.Guest), JobNum: int(j.JobNum), Target: j.Target,
			Source: j.Source, JobType: j.Type, Schedule: j.Schedule, Comment: j.Comment, Disable: bool(j.Disable),
			RemoveJob: j.RemoveJob, Status: store.StatusActive, RawConfig: stripKeys(raws[i], "digest"),
		}
		if r.Schedule == "" {
			r.Schedule = "*/15" // Proxmox's default, omitted on the wire
		}
		if r.JobType == "" {
			r.JobType = "local"
		}
		if j.Rate != nil {
			v := float64(*j.Rate)
			r.Rate = &v
		}
		if st, ok := status[j.ID]; ok {
			r.LastSync, r.LastTry, r.NextSync = epochPtr(st.LastSync), epochPtr(st.LastTry), epochPtr(st.NextSync)
			r.Duration = store.Duration(float64(st.Duration) * float64(time.Second))
			r.FailCount, r.Error = int(st.FailCount), st.Error
			if st.Source != "" {
				r.Source = st.Source
			}
			r.State = replicationState(r, st.PID > 0)
		} else if p, ok := prev[j.ID]; ok {
			r.LastSync, r.LastTry, r.NextSync, r.Duration = p.LastSync, p.LastTry, p.NextSync, p.Duration
			r.FailCount, r.Error, r.State = p.FailCount, p.Error, p.State
		} else {
			r.State = replicationState(r, false)
		}
		out = append(out, r)
	}
	sortRecords(out)
	return out
}

func replicationState(r *store.Replication, running bool) string {
	switch {
	case r.Disable:
		return "disabled"
	case running:
		return "syncing"
	case r.Error != "" || r.FailCount > 0:
		return "error"
	case r.LastSync == nil:
		return "pending"
	}
	return "ok"
}

func sortRecords(rs []store.Record) {
	sort.Slice(rs, func(i, j int) bool { return rs[i].RecordKey() < rs[j].RecordKey() })
}
