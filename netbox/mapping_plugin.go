package netbox

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/proxbox-tui/proxbox-tui/store"
)

// The plugin's models (reference §1.5-§1.10). Rows whose guest is unknown
// cannot be pushed: the plugin requires the VM.

func rawJSON(raw json.RawMessage) any {
	if len(raw) == 0 {
		return jsonVal{map[string]any{}}
	}
	var v any
	if json.Unmarshal(raw, &v) != nil || v == nil {
		return jsonVal{map[string]any{}}
	}
	return jsonVal{v}
}

// backupFormat maps a volume's format to the plugin's choices as its
// backend does (proxbox-api _normalize_backup_format): known aliases, note
// that a QEMU vma.zst is its "tzst"; else a PBS-style volid names the type.
func backupFormat(format, volid string) string {
	switch f := strings.ToLower(strings.TrimSpace(format)); f {
	case "zst", "vma.zst", "vma.zstd":
		return "tzst"
	case "pbs-ct", "pbs-vm", "qcow2", "raw", "tgz", "tbz", "tar", "iso", "tzst":
		return f
	}
	return byVolid(volid, "pbs-ct", "pbs-vm")
}

// subtypeOf maps a backup's subtype as the backend does (ct is lxc, vm is
// qemu; else the volid's /ct/ or /vm/).
func subtypeOf(subtype, volid string) string {
	switch strings.ToLower(strings.TrimSpace(subtype)) {
	case "qemu", "vm":
		return "qemu"
	case "lxc", "ct":
		return "lxc"
	}
	return byVolid(volid, "lxc", "qemu")
}

func byVolid(volid, ct, vm string) string {
	v := strings.ToLower(volid)
	switch {
	case strings.Contains(v, "/ct/"):
		return ct
	case strings.Contains(v, "/vm/"):
		return vm
	}
	return "undefined"
}

// noGuest is the skip reason of a row whose guest is unknown: the plugin's
// model requires its virtual machine (a non-null ForeignKey).
func noGuest(vmid int, model string) string {
	return fmt.Sprintf("guest %d is not in the cache, and the plugin's %s requires its virtual machine", vmid, model)
}

// guestVM is the ref to a guest's VM, or "" when the guest is unknown.
func guestVM(cluster string, guests map[int]*store.Guest, vmid int) (string, *store.Guest) {
	g := guests[vmid]
	if g == nil {
		return "", nil
	}
	return vmKey(cluster, g.Type, g.VMID), g
}

func (b *builder) backups(ep, cluster string, guests map[int]*store.Guest) error {
	if !b.inScope[KindBackup] {
		return nil
	}
	list, err := records[store.Backup](b, ep)
	if err != nil {
		return err
	}
	mode := b.eff(ep).Mode(ModeBackups)
	for i := range list {
		bk := &list[i]
		vm, _ := guestVM(cluster, guests, bk.VMID)
		d := newDesired(KindBackup, vm+"|"+bk.VolumeID, fmt.Sprintf("backup %q (%s)", bk.VolumeID, ep), ep)
		d.mode = mode
		d.link = &linkTarget{kind: store.KindBackup, key: bk.VolumeID, endpoint: ep}
		if vm == "" {
			d.skip = noGuest(bk.VMID, "VMBackup")
		}
		f := d.fields
		f["virtual_machine"] = ref{kind: KindVM, key: vm}
		f["proxmox_storage"] = ref{kind: KindStorage, key: cluster + "/" + bk.Storage, optional: true}
		f["storage"] = orNil(clip(bk.Storage, 255))
		f["subtype"] = subtypeOf(bk.Subtype, bk.VolumeID)
		f["format"] = backupFormat(bk.Format, bk.VolumeID)
		if bk.CreationTime.IsZero() {
			f["creation_time"] = nil
		} else {
			f["creation_time"] = timeVal(bk.CreationTime)
		}
		f["size"] = bk.Size
		f["used"] = orNil(bk.Used)
		f["notes"] = orNil(bk.Notes)
		f["volume_id"] = clip(bk.VolumeID, 255)
		f["vmid"] = orNil(int64(bk.VMID))
		f["encrypted"] = clip(bk.Encrypted, 255)
		f["verification_state"] = orNil(clip(bk.VerificationState, 255))
		f["verification_upid"] = orNil(clip(bk.VerificationUPID, 255))
		b.managed(d)
		b.add(d)
	}
	return nil
}

func (b *builder) snapshots(ep, cluster string, guests map[int]*store.Guest) error {
	if !b.inScope[KindSnapshot] {
		return nil
	}
	list, err := records[store.Snapshot](b, ep)
	if err != nil {
		return err
	}
	mode := b.eff(ep).Mode(ModeSnapshots)
	for i := range list {
		s := &list[i]
		vm, g := guestVM(cluster, guests, s.VMID)
		d := newDesired(KindSnapshot, vm+"|"+s.Name, fmt.Sprintf("snapshot %q of %s %s", s.Name, ep, store.GuestKey(s.Subtype, s.VMID)), ep)
		d.mode = mode
		d.link = &linkTarget{kind: store.KindSnapshot, key: s.RecordKey(), endpoint: ep}
		if g == nil {
			d.skip = noGuest(s.VMID, "VMSnapshot")
		}
		node := s.Node
		if node == "" && g != nil {
			node = g.Node
		}
		// The plugin keeps snapshots unique by (vmid, name, node) across
		// every cluster.
		global := fmt.Sprintf("%d\x00%s\x00%s", s.VMID, s.Name, node)
		if other, taken := b.snapKeys[global]; taken && other != ep && d.skip == "" {
			d.skip = fmt.Sprintf("endpoint %s has a snapshot of the same vmid, name and node; the plugin's unique_vm_snapshot_vmid_name_node constraint spans every cluster", other)
		} else if !taken {
			b.snapKeys[global] = ep
		}
		f := d.fields
		f["virtual_machine"] = ref{kind: KindVM, key: vm}
		f["name"] = clip(s.Name, 255)
		f["vmid"] = int64(s.VMID)
		f["node"] = clip(node, 255)
		f["subtype"] = "qemu" // the plugin's choices: qemu or lxc
		if s.Subtype == "lxc" {
			f["subtype"] = "lxc"
		}
		f["status"] = "active"
		f["description"] = s.Description // the backend writes "" for none
		f["snaptime"] = s.Snaptime
		f["parent"] = orNil(clip(s.Parent, 255))
		b.managed(d)
		b.add(d)
	}
	return nil
}

// taskActions are the words a task description names, in the backend's
// order (proxbox-api _humanize_task_type): the first found in the type.
var taskActions = []string{"start", "shutdown", "reboot", "stop", "pause", "resume", "suspend", "delete",
	"create", "clone", "move", "backup", "restore", "snapshot", "rollback", "migrate", "convert"}

// taskDescription is the backend's "{QEMU|CT} {id} - {Action}".
func taskDescription(guestType, id, typ string) string {
	prefix := strings.ToUpper(guestType)
	switch guestType {
	case "lxc", "ct":
		prefix = "CT"
	case "qemu":
		prefix = "QEMU"
	}
	action := ""
	for _, a := range taskActions {
		if strings.Contains(strings.ToLower(typ), a) {
			action = strings.ToUpper(a[:1]) + a[1:]
			break
		}
	}
	if action == "" && typ != "" { // Python's str.capitalize
		action = strings.ToUpper(typ[:1]) + strings.ToLower(typ[1:])
	}
	if id == "" {
		return fmt.Sprintf("%s - %s", prefix, action)
	}
	return fmt.Sprintf("%s %s - %s", prefix, id, action)
}

func (b *builder) tasks(ep, cluster string, guests map[int]*store.Guest) error {
	if !b.inScope[KindTaskHistory] {
		return nil
	}
	list, err := records[store.Task](b, ep)
	if err != nil {
		return err
	}
	mode := b.eff(ep).Mode(ModeTaskHistory)
	for i := range list {
		t := &list[i]
		if t.VMID == 0 {
			continue // node tasks: VMTaskHistory requires a virtual machine
		}
		vm, g := guestVM(cluster, guests, t.VMID)
		d := newDesired(KindTaskHistory, t.UPID, fmt.Sprintf("task %q (%s)", t.UPID, ep), ep)
		d.mode = mode
		d.link = &linkTarget{kind: store.KindTask, key: t.UPID, endpoint: ep}
		guestType := "unknown"
		if g == nil {
			d.skip = noGuest(t.VMID, "VMTaskHistory")
		} else {
			guestType = g.Type
		}
		status := t.ExitStatus
		if status == "" {
			status = t.Status
		}
		if status == "" {
			status = "unknown"
		}
		state := "stopped"
		if t.EndTime == nil {
			state = "running"
		}
		user := t.Username
		if user == "" {
			user = "root@pam"
		}
		f := d.fields
		f["virtual_machine"] = ref{kind: KindVM, key: vm}
		f["vm_type"] = clip(guestType, 16)
		f["upid"] = clip(t.UPID, 255)
		f["node"] = clip(t.Node, 255)
		f["pid"] = orNil(t.PID)
		f["pstart"] = orNil(t.PStart)
		f["task_id"] = orNil(clip(t.TaskID, 255))
		f["task_type"] = clip(t.TaskType, 255)
		f["username"] = clip(user, 255)
		f["start_time"] = timeVal(t.StartTime)
		f["end_time"] = t.EndTime
		f["description"] = taskDescription(guestType, t.TaskID, t.TaskType)
		f["status"] = clip(status, 2048)
		f["task_state"] = state
		f["exitstatus"] = orNil(t.ExitStatus)
		b.managed(d)
		b.add(d)
	}
	return nil
}

func (b *builder) routines(ep, cluster string) error {
	if !b.inScope[KindBackupRoutine] {
		return nil
	}
	list, err := records[store.BackupRoutine](b, ep)
	if err != nil {
		return err
	}
	mode := b.eff(ep).Mode(ModeBackupRoutines)
	storage := func(name string) any {
		if name == "" {
			return nil
		}
		return ref{kind: KindStorage, key: cluster + "/" + name, optional: true}
	}
	for i := range list {
		r := &list[i]
		d := newDesired(KindBackupRoutine, ep+"/"+r.JobID, fmt.Sprintf("backup routine %q (%s)", r.JobID, ep), ep)
		d.mode = mode
		d.link = &linkTarget{kind: store.KindBackupRoutine, key: r.JobID, endpoint: ep}
		f := d.fields
		f["endpoint"] = ref{kind: KindProxmoxEndpoint, key: ep}
		f["job_id"] = clip(r.JobID, 255)
		f["enabled"] = r.Enabled
		f["schedule"] = clip(r.Schedule, 255)
		f["next_run"] = r.NextRun
		if r.Node != "" {
			f["node"] = ref{kind: KindProxmoxNode, key: ep + "/" + r.Node, optional: true}
		} else {
			f["node"] = nil
		}
		f["storage"] = storage(r.Storage)
		sel := r.Selection
		if sel == nil {
			sel = []int{}
		}
		f["selection"] = jsonVal{sel}
		f["comment"] = r.Comment
		status := r.Status
		if status != store.StatusStale {
			status = store.StatusActive
		}
		f["status"] = status
		// The job's own prune-backups, as the plugin's backend parses it:
		// the retention a job inherits is a TUI and `prune` matter.
		for k, v := range jobKeeps(r.RawConfig) {
			f[k] = v
		}
		f["notes_template"] = r.NotesTemplate
		f["bwlimit"] = intPtr(r.Bwlimit)
		f["zstd"] = intPtr(r.Zstd)
		f["io_workers"] = intPtr(r.IOWorkers)
		f["fleecing"] = clip(r.Fleecing, 255)
		f["fleecing_storage"] = storage(r.FleecingStorage)
		f["repeat_missed"] = boolPtr(r.RepeatMissed)
		f["pbs_change_detection_mode"] = clip(r.PBSChangeDetectionMode, 50)
		f["raw_config"] = rawJSON(r.RawConfig)
		b.managed(d)
		b.add(d)
	}
	return nil
}

// jobKeeps parses a job's own prune-backups the way the plugin's backend
// does (proxbox-api _parse_prune_backups): in the object form each keep-*
// of digits is a number (0 included) and a keep-all key, whatever its
// value, is true; in the string form keep-X=N counts and only a bare
// keep-all token is true. What the job does not set is null.
func jobKeeps(raw json.RawMessage) map[string]any {
	out := map[string]any{"keep_last": nil, "keep_daily": nil, "keep_weekly": nil, "keep_monthly": nil, "keep_yearly": nil, "keep_all": nil}
	var job map[string]any
	if json.Unmarshal(raw, &job) != nil {
		return out
	}
	pb := job["prune-backups"]
	if pb == nil {
		pb = job["prune_backups"]
	}
	set := func(key string, v any) {
		name := "keep_" + strings.TrimPrefix(key, "keep-")
		if _, ok := out[name]; !ok || name == "keep_all" {
			return
		}
		s := strings.TrimSpace(fmt.Sprint(v))
		if s != "" && strings.Trim(s, "0123456789") == "" { // Python's str.isdigit
			if n, err := strconv.ParseInt(s, 10, 64); err == nil {
				out[name] = n
			}
		}
	}
	switch v := pb.(type) {
	case map[string]any:
		for k, val := range v {
			set(k, val)
		}
		if _, ok := v["keep-all"]; ok {
			out["keep_all"] = true
		}
	case string:
		for _, part := range strings.Split(v, ",") {
			part = strings.TrimSpace(part)
			if k, val, ok := strings.Cut(part, "="); ok {
				set(strings.TrimSpace(k), strings.TrimSpace(val))
			} else if strings.EqualFold(part, "keep-all") {
				out["keep_all"] = true
			}
		}
	}
	return out
}

func (b *builder) replications(ep, cluster string, guests map[int]*store.Guest) error {
	if !b.inScope[KindReplication] {
		return nil
	}
	list, err := records[store.Replication](b, ep)
	if err != nil {
		return err
	}
	mode := b.eff(ep).Mode(ModeReplications)
	for i := range list {
		r := &list[i]
		vm, g := guestVM(cluster, guests, r.Guest)
		d := newDesired(KindReplication, ep+"/"+r.ReplicationID, fmt.Sprintf("replication %q (%s)", r.ReplicationID, ep), ep)
		d.mode = mode
		d.link = &linkTarget{kind: store.KindReplication, key: r.ReplicationID, endpoint: ep}
		if g == nil {
			d.skip = noGuest(r.Guest, "Replication")
		}
		f := d.fields
		f["virtual_machine"] = ref{kind: KindVM, key: vm}
		f["replication_id"] = clip(r.ReplicationID, 255)
		f["guest"] = int64(r.Guest)
		f["target"] = clip(r.Target, 255)
		f["jobnum"] = int64(r.JobNum)
		f["endpoint"] = ref{kind: KindProxmoxEndpoint, key: ep}
		f["proxmox_node"] = ref{kind: KindProxmoxNode, key: ep + "/" + r.Target, optional: true}
		f["job_type"] = "local"
		f["schedule"] = clip(r.Schedule, 128)
		if r.Rate != nil {
			f["rate"] = *r.Rate
		} else {
			f["rate"] = nil
		}
		f["comment"] = orNil(r.Comment)
		f["disable"] = r.Disable
		f["source"] = orNil(clip(r.Source, 255))
		if r.RemoveJob == "local" || r.RemoveJob == "full" {
			f["remove_job"] = r.RemoveJob
		} else {
			f["remove_job"] = nil
		}
		status := r.Status
		if status != store.StatusStale {
			status = store.StatusActive
		}
		f["status"] = status
		f["raw_config"] = rawJSON(r.RawConfig)
		b.managed(d)
		b.add(d)
	}
	return nil
}
