package pvesim

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// TaskLog returns the log lines the API serves for a task: Task.Log when set,
// else lines derived from the task (storing 100k logs would dominate the
// large preset's memory). A running task's log has no final "TASK" line.
func TaskLog(t *Truth, x *Task) []string {
	if x.Log != nil {
		return x.Log
	}
	loc := t.Location
	if loc == nil {
		loc = time.UTC
	}
	var lines []string
	if x.Type == "vzdump" {
		lines = vzdumpLog(t, x, loc)
	} else {
		lines = genericLog(x)
	}
	if !x.Running() {
		lines = append(lines, finalLine(x.Status))
	}
	return lines
}

func finalLine(status string) string {
	switch {
	case status == "OK":
		return "TASK OK"
	case strings.HasPrefix(status, "WARNINGS: "):
		return "TASK " + status
	}
	return "TASK ERROR: " + status
}

func genericLog(x *Task) []string {
	switch x.Type {
	case "qmstart":
		return []string{"generating cloud-init ISO", "swtpm_setup: Not overwriting existing state file."}[:int(x.StartTime%2)+1]
	case "vzstart":
		return []string{"starting container " + x.ID}
	case "qmshutdown", "vzshutdown":
		return []string{"shutting down guest " + x.ID}
	case "qmsnapshot", "vzsnapshot":
		return []string{"snapshotting 'drive-scsi0' (local-lvm:vm-" + x.ID + "-disk-0)", "  Logical volume \"snap_vm-" + x.ID + "-disk-0\" created."}
	case "aptupdate":
		return []string{"starting apt-get update", "Hit:1 http://deb.debian.org/debian trixie InRelease", "Reading package lists..."}
	case "vncproxy", "vncshell", "spiceproxy":
		return []string{}
	}
	return []string{"starting " + x.Type}
}

func vzdumpLog(t *Truth, x *Task, loc *time.Location) []string {
	ids := make([]string, len(x.VMIDs))
	for i, id := range x.VMIDs {
		ids[i] = strconv.Itoa(id)
	}
	storage := x.Storage
	if storage == "" {
		storage = "local"
	}
	lines := []string{fmt.Sprintf("INFO: starting new backup job: vzdump %s --storage %s --mode snapshot --compress zstd --node %s",
		strings.Join(ids, " "), storage, x.Node)}
	failed, warnings := failureShape(x)
	end := x.EndTime
	if x.Running() {
		end = x.StartTime + int64(len(x.VMIDs))*30
	}
	span := max(end-x.StartTime, int64(len(x.VMIDs)))
	per := span / max(int64(len(x.VMIDs)), 1)
	for i, id := range x.VMIDs {
		typ := "qemu"
		if g := t.guest(id); g != nil {
			typ = g.Type
		}
		kind := "VM"
		if typ == "lxc" {
			kind = "CT"
		}
		begin := x.StartTime + int64(i)*per
		lines = append(lines,
			fmt.Sprintf("INFO: Starting Backup of VM %d (%s)", id, typ),
			"INFO: Backup started at "+time.Unix(begin, 0).In(loc).Format("2006-01-02 15:04:05"),
			"INFO: status = running")
		if x.Running() && i == len(x.VMIDs)-1 {
			return lines
		}
		if i < warnings {
			lines = append(lines, fmt.Sprintf("WARN: %s %d: guest agent not running, skipping fs-freeze", kind, id))
		}
		if i == failed {
			lines = append(lines, fmt.Sprintf("ERROR: Backup of VM %d failed - %s", id, vzdumpFailure(id)))
			continue
		}
		lines = append(lines,
			fmt.Sprintf("INFO: Finished Backup of VM %d (%s)", id, clock(per-2)),
			"INFO: Backup finished at "+time.Unix(begin+per-2, 0).In(loc).Format("2006-01-02 15:04:05"))
	}
	if x.Running() {
		return lines
	}
	if failed >= 0 {
		return append(lines, "INFO: Backup job finished with errors")
	}
	return append(lines, "INFO: Backup job finished successfully")
}

// failureShape reads the outcome back from the exit status: which guest
// failed ("job errors": the first one) and how many warnings were logged.
func failureShape(x *Task) (failed, warnings int) {
	failed = -1
	switch {
	case x.Status == "job errors":
		failed = 0
	case strings.HasPrefix(x.Status, "WARNINGS: "):
		warnings, _ = strconv.Atoi(strings.TrimPrefix(x.Status, "WARNINGS: "))
	}
	return failed, warnings
}

func vzdumpFailure(vmid int) string {
	reasons := []string{
		"unable to acquire lock on snapshot directory - got timeout",
		"command 'zstd -q -c --rsyncable' failed: got signal 13",
		"backup write data failed: command error: protocol canceled",
		"VM " + strconv.Itoa(vmid) + " - unable to find configuration file",
	}
	return reasons[vmid%len(reasons)]
}

func clock(secs int64) string {
	secs = max(secs, 0)
	return fmt.Sprintf("%02d:%02d:%02d", secs/3600, secs/60%60, secs%60)
}
