package pvesim

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"strconv"
)

// writeReplicationConfig writes a replication.cfg section: schedule absent
// when default, rate a JSON number, disable only when set.
func writeReplicationConfig(w *jw, j *ReplicationJob) {
	w.kStr("id", j.ID)
	w.kStr("type", "local")
	w.kInt("guest", int64(j.Guest))
	w.kInt("jobnum", int64(j.JobNum))
	w.kStr("target", j.Target)
	w.oStr("schedule", j.Schedule)
	if j.Rate != 0 {
		w.kFloat("rate", j.Rate)
	}
	w.oStr("comment", j.Comment)
	w.oTrue("disable", j.Disable)
	w.oStr("source", j.Source)
	w.oStr("remove_job", j.RemoveJob)
}

func (c *call) canSeeGuest(vmid int) bool {
	return c.who.can("/vms/"+strconv.Itoa(vmid), "VM.Audit")
}

// GET /cluster/replication
func hReplicationJobs(c *call) (*result, error) {
	var w jw
	w.arr()
	for _, j := range c.t.ReplicationJobs {
		if c.canSeeGuest(j.Guest) {
			w.obj()
			writeReplicationConfig(&w, j)
			w.endObj()
		}
	}
	w.endArr()
	return ok(&w)
}

// GET /cluster/replication/{id}: adds the file digest.
func hReplicationJob(c *call) (*result, error) {
	id := c.vars["id"]
	j := c.t.replicationJob(id)
	if j == nil {
		return nil, err500("replication job '" + id + "' does not exist")
	}
	if !c.canSeeGuest(j.Guest) {
		return nil, errPerm("/vms/"+strconv.Itoa(j.Guest), "VM.Audit")
	}
	var w jw
	w.obj()
	writeReplicationConfig(&w, j)
	w.kStr("digest", replicationDigest(c.t))
	w.endObj()
	return ok(&w)
}

func replicationDigest(t *Truth) string {
	h := sha1.New()
	for _, j := range t.ReplicationJobs {
		fmt.Fprintf(h, "%s %d %d %s %s %s %v %s %t %s\n", j.ID, j.Guest, j.JobNum, j.Target, j.Source, j.Schedule, j.Rate, j.Comment, j.Disable, j.RemoveJob)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// localJobs are the jobs whose guest currently lives on node: only those are
// listed by the node (disabled ones included).
func (c *call) localJob(j *ReplicationJob, node string) bool {
	g := c.t.guest(j.Guest)
	return g != nil && g.Node == node
}

func writeReplicationStatus(w *jw, t *Truth, j *ReplicationJob) {
	w.obj()
	writeReplicationConfig(w, j)
	typ := "qemu"
	if g := t.guest(j.Guest); g != nil {
		typ = g.Type
	}
	w.kStr("vmtype", typ)
	w.kInt("last_sync", j.LastSync)
	w.kInt("last_try", j.LastTry)
	w.kInt("fail_count", int64(j.FailCount))
	w.oStr("error", j.Error)
	w.kFloat("duration", j.Duration)
	next := j.NextSync
	if j.RemoveJob != "" {
		next = 1
	}
	w.kInt("next_sync", next)
	if j.PID != 0 {
		w.kInt("pid", int64(j.PID))
	}
	w.endObj()
}

// GET /nodes/{node}/replication[?guest=]
func hNodeReplication(c *call) (*result, error) {
	node := c.nodeName()
	guest := c.int("guest", 0)
	var w jw
	w.arr()
	for _, j := range c.t.ReplicationJobs {
		if !c.localJob(j, node) || (guest != 0 && int64(j.Guest) != guest) || !c.canSeeGuest(j.Guest) {
			continue
		}
		writeReplicationStatus(&w, c.t, j)
	}
	w.endArr()
	return ok(&w)
}

func (c *call) nodeReplicationJob() (*ReplicationJob, error) {
	id := c.vars["id"]
	j := c.t.replicationJob(id)
	if j == nil || !c.localJob(j, c.nodeName()) {
		return nil, err500("no such replication job '" + id + "'")
	}
	return j, nil
}

// GET /nodes/{node}/replication/{id}/status; a job of another node is a 500.
func hNodeReplicationStatus(c *call) (*result, error) {
	j, err := c.nodeReplicationJob()
	if err != nil {
		return nil, err
	}
	if !c.canSeeGuest(j.Guest) {
		return nil, errPerm("/vms/"+strconv.Itoa(j.Guest), "VM.Audit")
	}
	var w jw
	writeReplicationStatus(&w, c.t, j)
	return ok(&w)
}

// POST /nodes/{node}/replication/{id}/schedule_now: resets last_try so the
// scheduler runs the job at its next minute; answers null (no UPID, since
// replication runs are not tasks).
func hScheduleNow(c *call) (*result, error) {
	j, err := c.nodeReplicationJob()
	if err != nil {
		return nil, err
	}
	if p := "/vms/" + strconv.Itoa(j.Guest); !c.who.can(p, "VM.Replicate") {
		return nil, errPerm(p, "VM.Replicate")
	}
	j.LastTry = 0
	j.NextSync = c.now.Unix()
	var w jw
	w.null()
	return ok(&w)
}
