package pvesim

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/proxbox-tui/proxbox-tui/proxmox/calendar"
)

// writeBackupJob writes one jobs.cfg vzdump section: keys absent when unset,
// "type" present although the schema omits it, prune-backups / fleecing /
// performance as OBJECTS of strings (they are property strings in the file
// and on POST/PUT), exclude-path as an array.
func writeBackupJob(w *jw, j *BackupJob, nextRun int64) {
	w.obj()
	w.kStr("id", j.ID)
	w.kStr("type", "vzdump")
	if j.Enabled != nil {
		w.kBool("enabled", *j.Enabled)
	}
	w.kStr("schedule", j.Schedule)
	if nextRun > 0 {
		w.kInt("next-run", nextRun)
	}
	w.oTrue("repeat-missed", j.RepeatMissed)
	w.oStr("comment", j.Comment)
	w.oStr("vmid", j.VMID)
	w.oTrue("all", j.All)
	w.oStr("exclude", j.Exclude)
	w.oStr("pool", j.Pool)
	w.oStr("node", j.Node)
	w.oStr("storage", j.Storage)
	w.oStr("dumpdir", j.DumpDir)
	w.oStr("mode", j.Mode)
	w.oStr("compress", j.Compress)
	writeOptInt(w, "zstd", j.Zstd)
	writeOptInt(w, "bwlimit", j.BWLimit)
	writeOptInt(w, "ionice", j.IONice)
	w.oStr("mailto", j.MailTo)
	w.oStr("mailnotification", j.MailNotification)
	w.oStr("notification-mode", j.NotificationMode)
	w.oStr("notes-template", j.NotesTemplate)
	w.oTrue("protected", j.Protected)
	if j.Remove != nil {
		w.kBool("remove", *j.Remove)
	}
	if j.ExcludePath != nil {
		w.key("exclude-path")
		w.arr()
		for _, p := range j.ExcludePath {
			w.str(p)
		}
		w.endArr()
	}
	w.oStr("pbs-change-detection-mode", j.PBSChangeDetectionMode)
	writeStringObject(w, "prune-backups", j.PruneBackups)
	writeStringObject(w, "fleecing", j.Fleecing)
	writeStringObject(w, "performance", j.Performance)
	w.endObj()
}

func writeOptInt(w *jw, k string, v *int) {
	if v != nil {
		w.kInt(k, int64(*v))
	}
}

func writeStringObject(w *jw, k string, m map[string]string) {
	if m == nil {
		return
	}
	w.key(k)
	w.obj()
	for _, key := range sortedKeys(m) {
		w.kStr(key, m[key])
	}
	w.endObj()
}

// NextRun is the job's next start after now, as the list's next-run reports
// it (0 when the schedule does not parse or never fires).
func NextRun(schedule string, now time.Time, loc *time.Location) int64 {
	ev, err := calendar.Parse(schedule)
	if err != nil {
		return 0
	}
	next, ok := ev.Next(now, loc)
	if !ok {
		return 0
	}
	return next.Unix()
}

// GET /cluster/backup: jobs in file order with next-run.
func hBackupJobs(c *call) (*result, error) {
	var w jw
	w.arr()
	for _, j := range c.t.BackupJobs {
		writeBackupJob(&w, j, NextRun(j.Schedule, c.now, c.t.Location))
	}
	w.endArr()
	return ok(&w)
}

// GET /cluster/backup/{id}: no next-run; unknown id is a 400.
func hBackupJob(c *call) (*result, error) {
	id := c.vars["id"]
	j := c.t.backupJob(id)
	if j == nil {
		return nil, errParam("id", "No such job '"+id+"'")
	}
	var w jw
	writeBackupJob(&w, j, 0)
	return ok(&w)
}

// JobGuests returns the vmids a job selects, like PVE::VZDump's
// get_included_guests: pool wins over vmid, which wins over all (minus
// exclude); node restricts any selection to guests on that node. Disabled
// jobs select too (not-backed-up counts them as covering).
func JobGuests(t *Truth, j *BackupJob) []int {
	var ids []int
	switch {
	case j.Pool != "":
		for _, g := range t.Guests {
			if g.Pool == j.Pool {
				ids = append(ids, g.VMID)
			}
		}
	case j.VMID != "":
		for _, s := range splitList(j.VMID) {
			if id, err := strconv.Atoi(s); err == nil && t.guest(id) != nil {
				ids = append(ids, id)
			}
		}
	case j.All:
		excl := splitList(j.Exclude)
		for _, g := range t.Guests {
			if !slices.Contains(excl, strconv.Itoa(g.VMID)) {
				ids = append(ids, g.VMID)
			}
		}
	}
	if j.Node != "" {
		ids = slices.DeleteFunc(ids, func(id int) bool { return t.guest(id).Node != j.Node })
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\t' })
}

// GET /cluster/backup-info/not-backed-up: guests no job selects; "name" is
// the config name, null when the config has none.
func hNotBackedUp(c *call) (*result, error) {
	covered := map[int]bool{}
	for _, j := range c.t.BackupJobs {
		for _, id := range JobGuests(c.t, j) {
			covered[id] = true
		}
	}
	var w jw
	w.arr()
	for _, g := range sortedGuests(c.t.Guests) {
		if covered[g.VMID] || !c.who.can("/vms/"+strconv.Itoa(g.VMID), "VM.Audit") {
			continue
		}
		w.obj()
		w.kInt("vmid", int64(g.VMID))
		if g.Name != "" {
			w.kStr("name", g.Name)
		} else {
			w.kNull("name")
		}
		w.kStr("type", g.Type)
		w.endObj()
	}
	w.endArr()
	return ok(&w)
}
