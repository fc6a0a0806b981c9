package pvesim

import (
	"strings"
	"testing"
)

// isString / isNumber check the JSON type of a decoded value.
func isString(v any) bool { _, ok := v.(string); return ok }
func isNumber(v any) bool { _, ok := v.(float64); return ok }

func requireKeys(t *testing.T, where string, m map[string]any, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			t.Errorf("%s: key %q missing in %v", where, k, m)
		}
	}
}

func forbidKeys(t *testing.T, where string, m map[string]any, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if _, ok := m[k]; ok {
			t.Errorf("%s: key %q must be absent in %v", where, k, m)
		}
	}
}

// TestEndpointShapes requests every served read endpoint of the lab estate
// and checks the shape and the quirks of its answer.
func TestEndpointShapes(t *testing.T) {
	srv, _ := startDemoEndpoint(t, 0, Options{})
	tests := []struct {
		path  string
		check func(t *testing.T, r reply)
	}{
		{"/version", func(t *testing.T, r reply) {
			requireKeys(t, "version", r.object(t), "release", "repoid", "version")
		}},
		{"/cluster/status", func(t *testing.T, r reply) {
			items := r.list(t)
			c := find(items, "type", "cluster")
			if c == nil || c["quorate"] != 1.0 || c["nodes"] != 3.0 {
				t.Errorf("cluster entry: %v", c)
			}
			n := find(items, "id", "node/pve1")
			requireKeys(t, "node entry", n, "nodeid", "ip", "local", "online", "level")
			if n["local"] != 1.0 || find(items, "id", "node/pve2")["local"] != 0.0 {
				t.Errorf("local flags wrong: %v", items)
			}
		}},
		{"/cluster/resources", func(t *testing.T, r reply) {
			items := r.list(t)
			for _, typ := range []string{"qemu", "lxc", "node", "storage", "pool"} {
				if find(items, "type", typ) == nil {
					t.Errorf("no %s entry", typ)
				}
			}
			vm := find(items, "id", "qemu/100")
			if vm["template"] != 0.0 {
				t.Errorf("resources carry template 0/1 always: %v", vm)
			}
			if tmpl := find(items, "id", "qemu/9000"); tmpl["template"] != 1.0 {
				t.Errorf("template: %v", tmpl)
			}
			// VM 114 has no rrd data: status unknown, no name, no stats.
			noStats := find(items, "id", "qemu/114")
			if noStats["status"] != "unknown" {
				t.Errorf("qemu/114: %v", noStats)
			}
			forbidKeys(t, "qemu/114", noStats, "name", "maxmem", "template", "uptime")
			if find(items, "id", "storage/pve3/nfs-backup") != nil {
				t.Error("nfs-backup is restricted to pve1,pve2 but listed on pve3")
			}
			requireKeys(t, "storage", find(items, "id", "storage/pve1/pbs"), "plugintype", "shared", "content", "disk", "maxdisk", "status")
			requireKeys(t, "node", find(items, "id", "node/pve1"), "cgroup-mode", "maxcpu", "uptime", "level")
		}},
		{"/cluster/resources?type=vm", func(t *testing.T, r reply) {
			items := r.list(t)
			if len(items) != 24 {
				t.Errorf("type=vm gives %d entries, want 24 (qemu and lxc)", len(items))
			}
			for _, it := range items {
				if it["type"] != "qemu" && it["type"] != "lxc" {
					t.Errorf("type=vm returned %v", it["type"])
				}
			}
		}},
		{"/cluster/resources?type=node", func(t *testing.T, r reply) {
			if n := len(r.list(t)); n != 3 {
				t.Errorf("%d nodes", n)
			}
		}},
		{"/cluster/resources?type=storage", func(t *testing.T, r reply) {
			// 3 nodes x (local, local-lvm, pbs) + 2 for nfs-backup.
			if n := len(r.list(t)); n != 11 {
				t.Errorf("%d storage entries, want 11", n)
			}
		}},
		{"/nodes", func(t *testing.T, r reply) {
			for _, n := range r.list(t) {
				requireKeys(t, "node", n, "node", "status", "type", "id", "ssl_fingerprint", "cpu", "maxmem")
			}
		}},
		{"/nodes/pve1/status", func(t *testing.T, r reply) {
			s := r.object(t)
			la := s["loadavg"].([]any)
			if len(la) != 3 || !isString(la[0]) {
				t.Errorf("loadavg must be 3 strings: %v", la)
			}
			ci := s["cpuinfo"].(map[string]any)
			if !isString(ci["mhz"]) || !isString(ci["hvm"]) || !isNumber(ci["cpus"]) {
				t.Errorf("cpuinfo types: %v", ci)
			}
			requireKeys(t, "status", s, "memory", "swap", "rootfs", "ksm", "pveversion", "kversion", "boot-info", "current-kernel")
		}},
		{"/nodes/pve2/qemu", func(t *testing.T, r reply) {
			items := r.list(t)
			for _, it := range items {
				forbidKeys(t, "qemu list", it, "type")
				if it["vmid"] != 9000.0 {
					forbidKeys(t, "qemu list non-template", it, "template")
				}
				if it["status"] == "running" && !isString(it["pressurecpusome"]) {
					t.Errorf("pressure values are strings: %v", it)
				}
				if it["status"] != "running" {
					forbidKeys(t, "stopped", it, "pid")
				}
			}
			if find(items, "vmid", 9000.0)["template"] != 1.0 {
				t.Error("template 1 missing")
			}
			if find(items, "vmid", 114.0)["name"] != "VM 114" {
				t.Error("unnamed VM must be listed as 'VM 114'")
			}
			if find(items, "vmid", 100.0) != nil {
				t.Error("qemu/100 lives on pve1, not pve2")
			}
		}},
		{"/nodes/pve1/lxc", func(t *testing.T, r reply) {
			items := r.list(t)
			ct := find(items, "vmid", 206.0)
			if ct["cpus"] != "1.5" {
				t.Errorf("cpus from cpulimit must be the string \"1.5\": %v", ct["cpus"])
			}
			if dns := find(items, "vmid", 200.0); dns["type"] != "lxc" || !isNumber(dns["cpus"]) {
				t.Errorf("dns01: %v", dns)
			}
		}},
		{"/nodes/pve1/qemu/102/config", func(t *testing.T, r reply) {
			c := r.object(t)
			if c["memory"] != "16384" || c["cpulimit"] != "3.5" || !isNumber(c["cores"]) || !isNumber(c["sockets"]) {
				t.Errorf("qemu config types: memory %v cpulimit %v cores %v", c["memory"], c["cpulimit"], c["cores"])
			}
			requireKeys(t, "qemu config", c, "digest", "name", "parent", "net0", "scsi0", "tags")
		}},
		{"/nodes/pve1/lxc/200/config", func(t *testing.T, r reply) {
			c := r.object(t)
			if !isNumber(c["memory"]) || !isNumber(c["swap"]) || c["hostname"] != "dns01" {
				t.Errorf("lxc config: %v", c)
			}
			if l, ok := c["lxc"].([]any); !ok || len(l) != 2 {
				t.Errorf("lxc raw lines: %v", c["lxc"])
			}
		}},
		{"/nodes/pve2/lxc/204/config", func(t *testing.T, r reply) {
			if c := r.object(t); c["cpulimit"] != "0.5" {
				t.Errorf("lxc cpulimit must be a string: %v", c["cpulimit"])
			}
		}},
		{"/nodes/pve1/qemu/100/snapshot", func(t *testing.T, r reply) {
			items := r.list(t)
			cur := find(items, "name", "current")
			if cur == nil || cur["description"] != "You are here!" || cur["running"] != 1.0 {
				t.Fatalf("current pseudo-entry: %v", cur)
			}
			forbidKeys(t, "current", cur, "snaptime", "vmstate")
			requireKeys(t, "current", cur, "digest", "parent")
			for _, s := range items {
				if s["name"] != "current" {
					requireKeys(t, "qemu snapshot", s, "snaptime", "vmstate", "description")
				}
			}
		}},
		{"/nodes/pve1/lxc/200/snapshot", func(t *testing.T, r reply) {
			for _, s := range r.list(t) {
				forbidKeys(t, "lxc snapshot", s, "vmstate")
			}
		}},
		{"/nodes/pve3/lxc/207/snapshot", func(t *testing.T, r reply) {
			items := r.list(t)
			if len(items) != 1 || items[0]["name"] != "current" {
				t.Errorf("no snapshots: only the current entry: %v", items)
			}
			forbidKeys(t, "current without snapshots", items[0], "parent")
		}},
		{"/storage", func(t *testing.T, r reply) {
			items := r.list(t)
			pbs := find(items, "storage", "pbs")
			if !isString(pbs["prune-backups"]) || pbs["shared"] != 1.0 {
				t.Errorf("storage.cfg prune-backups is a string: %v", pbs)
			}
			forbidKeys(t, "local-lvm", find(items, "storage", "local-lvm"), "shared", "disable", "prune-backups")
			digest := items[0]["digest"]
			for _, it := range items {
				if it["digest"] != digest {
					t.Error("digest differs between items")
				}
			}
		}},
		{"/storage/nfs-backup", func(t *testing.T, r reply) {
			if s := r.object(t); s["nodes"] != "pve1,pve2" || s["max-protected-backups"] != 10.0 {
				t.Errorf("nfs-backup: %v", s)
			}
		}},
		{"/nodes/pve1/storage", func(t *testing.T, r reply) {
			for _, it := range r.list(t) {
				requireKeys(t, "node storage", it, "storage", "type", "content", "active", "enabled", "shared", "total", "used", "avail", "used_fraction")
			}
		}},
		{"/nodes/pve3/storage", func(t *testing.T, r reply) {
			if find(r.list(t), "storage", "nfs-backup") != nil {
				t.Error("nfs-backup is not configured for pve3")
			}
		}},
		{"/nodes/pve1/storage/pbs/content?content=backup", func(t *testing.T, r reply) {
			items := r.list(t)
			if len(items) < 100 {
				t.Fatalf("only %d pbs backups", len(items))
			}
			var verified, failed, protected, encrypted int
			for i, b := range items {
				requireKeys(t, "pbs backup", b, "volid", "content", "format", "subtype", "vmid", "ctime", "size")
				if p, ok := b["protected"]; ok {
					if p != 1.0 {
						t.Errorf("protected is 1 or absent: %v", b)
					}
					protected++
				}
				if v, ok := b["verification"].(map[string]any); ok {
					requireKeys(t, "verification", v, "state", "upid")
					verified++
					if v["state"] == "failed" {
						failed++
					}
				}
				if _, ok := b["encrypted"]; ok {
					encrypted++
				}
				if i > 0 && strings.ToLower(items[i-1]["volid"].(string)) > strings.ToLower(b["volid"].(string)) {
					t.Errorf("content not sorted by volid at %d", i)
				}
				if !strings.HasPrefix(b["volid"].(string), "pbs:backup/vm/") && !strings.HasPrefix(b["volid"].(string), "pbs:backup/ct/") {
					t.Errorf("pbs volid shape: %v", b["volid"])
				}
			}
			if verified == 0 || verified == len(items) || failed == 0 || protected == 0 || encrypted == 0 {
				t.Errorf("pbs content lacks variety: verified %d failed %d protected %d encrypted %d of %d",
					verified, failed, protected, encrypted, len(items))
			}
		}},
		{"/nodes/pve1/storage/nfs-backup/content?content=backup", func(t *testing.T, r reply) {
			items := r.list(t)
			odd := find(items, "volid", "nfs-backup:backup/my-manual-copy-qemu-100.vma")
			if odd == nil || odd["subtype"] != "unknown" {
				t.Fatalf("non-standard backup: %v", odd)
			}
			forbidKeys(t, "non-standard backup", odd, "vmid")
			for _, b := range items {
				if n, ok := b["notes"].(string); ok && strings.Contains(n, "\n") {
					t.Errorf("notes must be the first line only: %q", n)
				}
			}
		}},
		{"/nodes/pve1/storage/nfs-backup/content?content=iso", func(t *testing.T, r reply) {
			if n := len(r.list(t)); n != 0 {
				t.Errorf("iso content: %d items", n)
			}
		}},
		{"/nodes/pve2/storage/local/content?vmid=110", func(t *testing.T, r reply) {
			items := r.list(t)
			if len(items) == 0 {
				t.Fatal("vpn01 has keep-all backups on local")
			}
			for _, b := range items {
				if b["vmid"] != 110.0 || !strings.HasPrefix(b["volid"].(string), "local:backup/vzdump-qemu-110-") {
					t.Errorf("vmid filter: %v", b)
				}
			}
		}},
		{"/nodes/pve1/tasks", func(t *testing.T, r reply) {
			m := r.json(t)
			if _, ok := m["total"].(float64); !ok {
				t.Errorf("total must be beside data: %v", m["total"])
			}
			items := r.list(t)
			if len(items) != 50 {
				t.Errorf("default limit is 50, got %d", len(items))
			}
			for i, x := range items {
				requireKeys(t, "node task", x, "upid", "node", "pid", "pstart", "starttime", "type", "id", "user", "endtime", "status")
				if i > 0 && items[i-1]["starttime"].(float64) < x["starttime"].(float64) {
					t.Errorf("tasks not newest first at %d", i)
				}
			}
		}},
		{"/cluster/tasks", func(t *testing.T, r reply) {
			items := r.list(t)
			var running, numeric, stringSaved int
			for _, x := range items {
				forbidKeys(t, "cluster task", x, "pstart")
				switch x["saved"].(type) {
				case float64:
					numeric++
				case string:
					stringSaved++
				}
				if _, ok := x["endtime"]; !ok {
					running++
					forbidKeys(t, "running cluster task", x, "status")
					requireKeys(t, "running cluster task", x, "pid")
				} else {
					forbidKeys(t, "finished cluster task", x, "pid")
				}
			}
			if running == 0 || numeric == 0 || stringSaved == 0 {
				t.Errorf("cluster tasks: running %d numeric saved %d string saved %d", running, numeric, stringSaved)
			}
			if len(items) > 3*clusterTaskRecent+3 {
				t.Errorf("%d cluster tasks: more than 25 recent per node", len(items))
			}
		}},
		{"/cluster/backup", func(t *testing.T, r reply) {
			items := r.list(t)
			if len(items) != 3 {
				t.Fatalf("%d jobs", len(items))
			}
			nightly := items[0]
			pb, ok := nightly["prune-backups"].(map[string]any)
			if !ok || pb["keep-daily"] != "7" {
				t.Errorf("prune-backups must be an object of strings: %v", nightly["prune-backups"])
			}
			if f := nightly["fleecing"].(map[string]any); f["enabled"] != "1" {
				t.Errorf("fleecing: %v", f)
			}
			if p := nightly["performance"].(map[string]any); p["max-workers"] != "16" {
				t.Errorf("performance: %v", p)
			}
			requireKeys(t, "job", nightly, "id", "type", "schedule", "next-run", "enabled")
			if items[1]["enabled"] != 0.0 {
				t.Errorf("disabled job: %v", items[1])
			}
			if ep, ok := items[1]["exclude-path"].([]any); !ok || len(ep) != 2 {
				t.Errorf("exclude-path is an array: %v", items[1]["exclude-path"])
			}
			forbidKeys(t, "migrated job", items[2], "enabled")
		}},
		{"/cluster/backup/backup-8d1ad2ec-5b85", func(t *testing.T, r reply) {
			j := r.object(t)
			forbidKeys(t, "single job", j, "next-run")
			requireKeys(t, "single job", j, "prune-backups", "type")
		}},
		{"/cluster/backup-info/not-backed-up", func(t *testing.T, r reply) {
			items := r.list(t)
			if len(items) != 2 || items[0]["vmid"] != 114.0 || items[1]["vmid"] != 9000.0 {
				t.Fatalf("not backed up: %v", items)
			}
			if v, ok := items[0]["name"]; !ok || v != nil {
				t.Errorf("unnamed guest: name null, got %v", items[0])
			}
		}},
		{"/cluster/replication", func(t *testing.T, r reply) {
			items := r.list(t)
			if len(items) != 4 {
				t.Fatalf("%d replication jobs", len(items))
			}
			forbidKeys(t, "default schedule", find(items, "id", "102-0"), "schedule", "disable")
			if find(items, "id", "201-1")["disable"] != 1.0 || find(items, "id", "102-0")["rate"] != 25.5 {
				t.Errorf("replication config: %v", items)
			}
		}},
		{"/cluster/replication/100-0", func(t *testing.T, r reply) {
			requireKeys(t, "replication job", r.object(t), "digest", "guest", "jobnum", "target")
		}},
		{"/nodes/pve2/replication", func(t *testing.T, r reply) {
			items := r.list(t)
			if len(items) != 2 {
				t.Fatalf("pve2 runs 103-0 and 201-1, got %v", items)
			}
			failing := find(items, "id", "103-0")
			requireKeys(t, "failing job", failing, "error", "fail_count", "last_sync", "last_try", "next_sync", "duration", "vmtype")
			if failing["fail_count"] != 3.0 || failing["next_sync"] != failing["last_try"].(float64)+900 {
				t.Errorf("retry after failure: %v", failing)
			}
		}},
		{"/nodes/pve1/replication/100-0/status", func(t *testing.T, r reply) {
			s := r.object(t)
			forbidKeys(t, "healthy", s, "error")
			if s["vmtype"] != "qemu" || s["fail_count"] != 0.0 {
				t.Errorf("status: %v", s)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			r := get(t, srv, tc.path)
			if r.status != 200 {
				t.Fatalf("%s: %s %s", tc.path, r.line, r.body)
			}
			tc.check(t, r)
		})
	}
}

// TestErrors checks the status lines and bodies of failures.
func TestErrors(t *testing.T) {
	srv, _ := startDemoEndpoint(t, 0, Options{})
	legacy, _ := startDemoEndpoint(t, 0, Options{LegacyErrors: true})
	tests := []struct {
		name, method, path string
		srv                *Server
		wantLine           string
		wantBody           string
	}{
		{"unknown job 400", "GET", "/cluster/backup/nope", srv, "400 Parameter verification failed.",
			`{"data":null,"errors":{"id":"No such job 'nope'"},"message":"Parameter verification failed.\n"}`},
		{"bool as true", "GET", "/nodes/pve1/tasks?errors=true", srv, "400 Parameter verification failed.",
			`{"data":null,"errors":{"errors":"type check ('boolean') failed - got 'true'"},"message":"Parameter verification failed.\n"}`},
		{"unknown param", "GET", "/version?foo=1", srv, "400 Parameter verification failed.",
			`{"data":null,"errors":{"foo":"property is not defined in schema and the schema does not allow additional properties"},"message":"Parameter verification failed.\n"}`},
		{"bad enum", "GET", "/cluster/resources?type=pool", srv, "400 Parameter verification failed.",
			`{"data":null,"errors":{"type":"value 'pool' does not have a value in the enumeration 'vm, storage, node, sdn'"},"message":"Parameter verification failed.\n"}`},
		{"missing config 500", "GET", "/nodes/pve1/qemu/999/config", srv,
			"500 Configuration file 'nodes/pve1/qemu-server/999.conf' does not exist",
			`{"data":null,"message":"Configuration file 'nodes/pve1/qemu-server/999.conf' does not exist\n"}`},
		{"guest on other node 500", "GET", "/nodes/pve2/qemu/100/config", srv,
			"500 Configuration file 'nodes/pve2/qemu-server/100.conf' does not exist", ""},
		{"legacy 500", "GET", "/nodes/pve1/qemu/999/config", legacy,
			"500 Configuration file 'nodes/pve1/qemu-server/999.conf' does not exist", `{"data":null}`},
		{"unknown path 501", "GET", "/nodes/pve1/nope", srv, "501 Method 'GET /nodes/pve1/nope' not implemented", ""},
		{"wrong method 501", "DELETE", "/version", srv, "501 Method 'DELETE /version' not implemented", ""},
		{"unknown node 500", "GET", "/nodes/pve9/status", srv,
			"500 hostname lookup 'pve9' failed - failed to get address info for: pve9: Name or service not known", ""},
		{"foreign replication job 500", "GET", "/nodes/pve1/replication/103-0/status", srv,
			"500 no such replication job '103-0'", ""},
		{"bad upid 400", "GET", "/nodes/pve1/tasks/nope/status", srv, "400 Parameter verification failed.",
			`{"data":null,"errors":{"upid":"unable to parse worker upid 'nope'"},"message":"Parameter verification failed.\n"}`},
		{"disabled storage is fine", "GET", "/nodes/pve1/storage/nfs-backup/content", srv, "200 OK", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, tc.srv, tc.method, tc.path, rootAuth, "")
			if r.line != tc.wantLine {
				t.Errorf("status line %q, want %q", r.line, tc.wantLine)
			}
			if tc.wantBody != "" && string(r.body) != tc.wantBody {
				t.Errorf("body %s\nwant %s", r.body, tc.wantBody)
			}
		})
	}
}

// TestOfflineNode: a node taken offline loses its stats and answers 595
// through the proxy; its guests show as unknown without names.
func TestOfflineNode(t *testing.T) {
	srv, _ := startDemoEndpoint(t, 0, Options{})
	if err := srv.Sim.Estate().SetNodeOnline("pve3", false); err != nil {
		t.Fatal(err)
	}
	r := get(t, srv, "/nodes/pve3/status")
	if r.status != 595 || r.line != "595 No route to host" || len(r.body) != 0 {
		t.Errorf("offline node: %q %q", r.line, r.body)
	}
	nodes := get(t, srv, "/nodes").list(t)
	off := find(nodes, "node", "pve3")
	if off["status"] != "offline" {
		t.Errorf("nodes: %v", off)
	}
	forbidKeys(t, "offline node", off, "cpu", "mem", "uptime", "maxmem")
	res := get(t, srv, "/cluster/resources").list(t)
	vm := find(res, "id", "qemu/106")
	if vm["status"] != "unknown" {
		t.Errorf("guest on offline node: %v", vm)
	}
	forbidKeys(t, "guest on offline node", vm, "name", "cpu", "mem")
	node := find(res, "id", "node/pve3")
	if node["status"] != "offline" {
		t.Errorf("node resource: %v", node)
	}
	forbidKeys(t, "offline node resource", node, "cpu", "mem", "uptime")
	st := find(res, "id", "storage/pve3/pbs")
	if st["status"] != "unknown" {
		t.Errorf("storage on offline node: %v", st)
	}
	forbidKeys(t, "storage on offline node", st, "disk", "maxdisk")
	cs := get(t, srv, "/cluster/status").list(t)
	if find(cs, "id", "node/pve3")["online"] != 0.0 || find(cs, "type", "cluster")["quorate"] != 1.0 {
		t.Errorf("cluster status: %v", cs)
	}
	// Shared storage content stays reachable through an online node.
	if r := get(t, srv, "/nodes/pve1/storage/pbs/content"); r.status != 200 {
		t.Errorf("pbs via pve1: %s", r.line)
	}
}

// TestStandalone: the edge node has no cluster entry and nodeid 0.
func TestStandalone(t *testing.T) {
	srv, _ := startDemoEndpoint(t, 1, Options{})
	items := get(t, srv, "/cluster/status").list(t)
	if len(items) != 1 || items[0]["type"] != "node" || items[0]["nodeid"] != 0.0 || items[0]["local"] != 1.0 {
		t.Fatalf("standalone cluster status: %v", items)
	}
	if n := len(get(t, srv, "/cluster/resources?type=vm").list(t)); n != 5 {
		t.Errorf("edge has %d guests, want 5", n)
	}
	if n := len(get(t, srv, "/cluster/backup").list(t)); n != 1 {
		t.Errorf("edge has %d jobs, want 1", n)
	}
	if r := get(t, srv, "/nodes/localhost/status"); r.status != 200 {
		t.Errorf("localhost alias: %s", r.line)
	}
	// The ticket answer names the cluster only in a cluster.
	r := do(t, srv, "POST", "/access/ticket", "", `{"username":"root@pam","password":"`+RootPassword+`"}`)
	forbidKeys(t, "standalone ticket", r.object(t), "clustername")
}
