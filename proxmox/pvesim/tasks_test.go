package pvesim

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

func TestNodeTasksFilters(t *testing.T) {
	srv, _ := startDemoEndpoint(t, 0, Options{})
	var truth []*Task
	srv.Sim.Estate().View(func(tr *Truth) { truth = nodeTasks(tr, "pve1") })
	var finished []*Task
	for _, x := range truth {
		if !x.Running() {
			finished = append(finished, x)
		}
	}
	mid := finished[len(finished)/2].StartTime
	count := func(keep func(x *Task) bool) int {
		n := 0
		for _, x := range finished {
			if keep(x) {
				n++
			}
		}
		return n
	}
	tests := []struct {
		query string
		want  int // expected total
		check func(x map[string]any) bool
	}{
		{"", len(finished), nil},
		{"limit=0", len(finished), nil},
		{"source=all", len(truth), nil},
		{"source=active", len(truth) - len(finished), func(x map[string]any) bool { return x["status"] == "RUNNING" }},
		{"typefilter=vzdump", count(func(x *Task) bool { return x.Type == "vzdump" }),
			func(x map[string]any) bool { return x["type"] == "vzdump" }},
		{"vmid=100", count(func(x *Task) bool { return x.ID == "100" }), func(x map[string]any) bool { return x["id"] == "100" }},
		{"errors=1", count(func(x *Task) bool { return x.Status != "OK" }), func(x map[string]any) bool { return x["status"] != "OK" }},
		{fmt.Sprintf("since=%d", mid), count(func(x *Task) bool { return x.StartTime >= mid }),
			func(x map[string]any) bool { return int64(x["starttime"].(float64)) >= mid }},
		{fmt.Sprintf("until=%d", mid), count(func(x *Task) bool { return x.StartTime <= mid }),
			func(x map[string]any) bool { return int64(x["starttime"].(float64)) <= mid }},
		{"userfilter=TUI", count(func(x *Task) bool { return x.User == "tui@pve" }),
			func(x map[string]any) bool { return x["user"] == "tui@pve" && x["tokenid"] == "nb" }},
		{"statusfilter=warning", count(func(x *Task) bool { return strings.HasPrefix(x.Status, "WARNINGS") }),
			func(x map[string]any) bool { return strings.HasPrefix(x["status"].(string), "WARNINGS: ") }},
		{"statusfilter=ok,error", count(func(x *Task) bool {
			return !strings.HasPrefix(x.Status, "WARNINGS") && x.Status != "unexpected status"
		}), nil},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			q := "limit=0"
			if tc.query != "" && !strings.Contains(tc.query, "limit=") {
				q = tc.query + "&limit=0"
			} else if tc.query != "" {
				q = tc.query
			}
			r := get(t, srv, "/nodes/pve1/tasks?"+q)
			if r.status != 200 {
				t.Fatalf("%s %s", r.line, r.body)
			}
			total := int(r.json(t)["total"].(float64))
			items := r.list(t)
			if total != tc.want || len(items) != tc.want || tc.want == 0 {
				t.Errorf("total %d, items %d, want %d (non-zero)", total, len(items), tc.want)
			}
			for _, x := range items {
				if tc.check != nil && !tc.check(x) {
					t.Errorf("item does not match the filter: %v", x)
				}
			}
		})
	}
}

// TestNodeTasksPaging walks the archive page by page: same order, no gaps,
// total constant and outside data.
func TestNodeTasksPaging(t *testing.T) {
	srv, _ := startDemoEndpoint(t, 0, Options{})
	all := get(t, srv, "/nodes/pve2/tasks?limit=0").list(t)
	var paged []map[string]any
	for start := 0; ; start += 100 {
		r := get(t, srv, fmt.Sprintf("/nodes/pve2/tasks?start=%d&limit=100", start))
		if int(r.json(t)["total"].(float64)) != len(all) {
			t.Fatalf("total changes between pages")
		}
		page := r.list(t)
		paged = append(paged, page...)
		if len(page) < 100 {
			break
		}
	}
	if len(paged) != len(all) {
		t.Fatalf("paged %d, all %d", len(paged), len(all))
	}
	for i := range all {
		if paged[i]["upid"] != all[i]["upid"] {
			t.Fatalf("order differs at %d", i)
		}
	}
	if r := get(t, srv, fmt.Sprintf("/nodes/pve2/tasks?start=%d", len(all)+5)); len(r.list(t)) != 0 {
		t.Error("start beyond the end must give []")
	}
}

func TestTaskStatusAndLog(t *testing.T) {
	srv, _ := startDemoEndpoint(t, 0, Options{})
	var failed, okTask, running *Task
	srv.Sim.Estate().View(func(tr *Truth) {
		for _, x := range nodeTasks(tr, "pve1") {
			switch {
			case x.Type == "vzdump" && x.Status == "job errors" && failed == nil:
				failed = x
			case x.Type == "vzdump" && x.Status == "OK" && okTask == nil:
				okTask = x
			case x.Running() && running == nil:
				running = x
			}
		}
	})
	if failed == nil || okTask == nil || running == nil {
		t.Fatal("demo lacks a failed, an OK or a running task on pve1")
	}
	path := func(x *Task, tail string) string {
		return "/nodes/" + x.Node + "/tasks/" + url.PathEscape(x.UPID) + tail
	}
	st := get(t, srv, path(failed, "/status")).object(t)
	if st["status"] != "stopped" || st["exitstatus"] != "job errors" {
		t.Errorf("status: %v", st)
	}
	forbidKeys(t, "task status", st, "endtime")
	if st := get(t, srv, path(running, "/status")).object(t); st["status"] != "running" {
		t.Errorf("running: %v", st)
	} else {
		forbidKeys(t, "running task status", st, "exitstatus")
	}

	r := get(t, srv, path(failed, "/log?limit=0"))
	lines := r.list(t)
	total := int(r.json(t)["total"].(float64))
	if total != len(lines) || lines[0]["n"] != 1.0 || lines[len(lines)-1]["t"] != "TASK ERROR: job errors" {
		t.Errorf("failed log: total %d %v", total, lines)
	}
	if !strings.Contains(string(r.body), "ERROR: Backup of VM") {
		t.Errorf("failed log lacks the guest error: %s", r.body)
	}
	okLog := get(t, srv, path(okTask, "/log?limit=0")).list(t)
	if okLog[len(okLog)-1]["t"] != "TASK OK" {
		t.Errorf("ok log ends with %v", okLog[len(okLog)-1])
	}
	page := get(t, srv, path(okTask, "/log?start=2&limit=2")).list(t)
	if len(page) != 2 || page[0]["n"] != 3.0 || page[0]["t"] != okLog[2]["t"] {
		t.Errorf("log paging: %v", page)
	}
	empty := get(t, srv, path(running, "/log"))
	if string(empty.body) != `{"data":[{"n":1,"t":"no content"}],"total":1}` {
		t.Errorf("empty log: %s", empty.body)
	}
	if beyond := get(t, srv, path(okTask, "/log?start=1000")).list(t); len(beyond) != 0 {
		t.Errorf("beyond the end: %v", beyond)
	}
	unknown := strings.Replace(okTask.UPID, ":vzdump:", ":qmstart:", 1)
	if r := get(t, srv, "/nodes/pve1/tasks/"+url.PathEscape(unknown)+"/status"); r.status != 400 {
		t.Errorf("unknown task: %s", r.line)
	}
}
