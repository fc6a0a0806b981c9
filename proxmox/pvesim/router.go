package pvesim

import (
	"net/url"
	"strings"
)

// route is one API method. Patterns use the schema's {name} segments, which
// are also the keys of the request counters.
type route struct {
	method  string
	pattern string
	segs    []string
	params  map[string]ptype // query/body parameters (path ones are implied)
	// proxy marks "proxyto => node" methods: they fail with 595 when the node
	// is offline and with 500 when it does not exist.
	proxy bool
	// perm is the permission the schema checks before the handler runs.
	perm *permCheck
	// noAuth marks the one method reachable without credentials.
	noAuth bool
	h      func(c *call) (*result, error)
}

type permCheck struct {
	path  string // with {node}, {vmid}, {storage} placeholders
	privs []string
	any   bool
}

type router struct {
	routes []*route
}

type match struct {
	route *route
	vars  map[string]string
}

func newRouter() *router {
	r := &router{}
	for _, rt := range routeTable() {
		rt.segs = strings.Split(strings.Trim(rt.pattern, "/"), "/")
		r.routes = append(r.routes, rt)
	}
	return r
}

func (r *router) match(method, path string) match {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for _, rt := range r.routes {
		if rt.method != method {
			continue
		}
		if vars, ok := matchSegs(rt.segs, segs); ok {
			return match{route: rt, vars: vars}
		}
	}
	return match{}
}

func matchSegs(pattern, segs []string) (map[string]string, bool) {
	if len(pattern) != len(segs) {
		return nil, false
	}
	var vars map[string]string
	for i, p := range pattern {
		if strings.HasPrefix(p, "{") {
			v, err := url.PathUnescape(segs[i])
			if err != nil || v == "" {
				return nil, false
			}
			if vars == nil {
				vars = map[string]string{}
			}
			vars[p[1:len(p)-1]] = v
			continue
		}
		if p != segs[i] {
			return nil, false
		}
	}
	return vars, true
}

// Parameter types, following the schema.
type ptype struct {
	kind     string // string, integer, boolean, number
	enum     []string
	required bool
	list     bool // string lists may repeat (exclude-path)
}

var (
	pString  = ptype{kind: "string"}
	pInt     = ptype{kind: "integer"}
	pBool    = ptype{kind: "boolean"}
	pStrList = ptype{kind: "string", list: true}
)

func pEnum(vals ...string) ptype { return ptype{kind: "string", enum: vals} }
func pReq(p ptype) ptype         { p.required = true; return p }

func perm(path string, privs ...string) *permCheck { return &permCheck{path: path, privs: privs} }
func permAny(path string, privs ...string) *permCheck {
	return &permCheck{path: path, privs: privs, any: true}
}

// routeTable lists every served method. Parameters are those of the PVE 9.1
// schema for the method, so unknown parameters get the same 400 as on a real
// node.
func routeTable() []*route {
	vzdumpParams := map[string]ptype{
		"all": pBool, "bwlimit": pInt, "compress": pEnum("0", "1", "gzip", "lzo", "zstd"), "dumpdir": pString,
		"exclude": pString, "exclude-path": pStrList, "fleecing": pString, "ionice": pInt, "job-id": pString,
		"lockwait": pInt, "mailnotification": pEnum("always", "failure"), "mailto": pString, "maxfiles": pInt,
		"mode": pEnum("snapshot", "suspend", "stop"), "node": pString, "notes-template": pString,
		"notification-mode":         pEnum("auto", "legacy-sendmail", "notification-system"),
		"pbs-change-detection-mode": pEnum("legacy", "data", "metadata"), "performance": pString, "pigz": pInt,
		"pool": pString, "protected": pBool, "prune-backups": pString, "quiet": pBool, "remove": pBool,
		"script": pString, "stdexcludes": pBool, "stdout": pBool, "stop": pBool, "stopwait": pInt,
		"storage": pString, "tmpdir": pString, "vmid": pString, "zstd": pInt,
	}
	return append([]*route{
		{method: "GET", pattern: "/version", h: hVersion},
		{method: "POST", pattern: "/access/ticket", noAuth: true, h: hTicket, params: map[string]ptype{
			"username": pReq(pString), "password": pReq(pString), "realm": pString, "otp": pString,
			"tfa-challenge": pString, "path": pString, "privs": pString, "new-format": pBool}},
		{method: "GET", pattern: "/access/permissions", h: hPermissions,
			params: map[string]ptype{"path": pString, "userid": pString}},
		{method: "GET", pattern: "/cluster/status", perm: perm("/", "Sys.Audit"), h: hClusterStatus},
		{method: "GET", pattern: "/cluster/resources", h: hClusterResources,
			params: map[string]ptype{"type": pEnum("vm", "storage", "node", "sdn")}},
		{method: "GET", pattern: "/cluster/tasks", h: hClusterTasks},
		{method: "GET", pattern: "/cluster/backup", perm: perm("/", "Sys.Audit"), h: hBackupJobs},
		{method: "GET", pattern: "/cluster/backup/{id}", perm: perm("/", "Sys.Audit"), h: hBackupJob},
		{method: "GET", pattern: "/cluster/backup-info/not-backed-up", perm: perm("/", "Sys.Audit"), h: hNotBackedUp},
		{method: "GET", pattern: "/cluster/replication", h: hReplicationJobs},
		{method: "GET", pattern: "/cluster/replication/{id}", h: hReplicationJob},
		{method: "GET", pattern: "/nodes", h: hNodes},
		{method: "GET", pattern: "/nodes/{node}/status", proxy: true, perm: perm("/nodes/{node}", "Sys.Audit"), h: hNodeStatus},
		{method: "GET", pattern: "/nodes/{node}/time", proxy: true, perm: perm("/nodes/{node}", "Sys.Audit"), h: hNodeTime},
		{method: "GET", pattern: "/nodes/{node}/version", proxy: true, h: hNodeVersion},
		{method: "GET", pattern: "/nodes/{node}/qemu", proxy: true, h: hGuestList("qemu"),
			params: map[string]ptype{"full": pBool}},
		{method: "GET", pattern: "/nodes/{node}/lxc", proxy: true, h: hGuestList("lxc")},
		{method: "GET", pattern: "/nodes/{node}/qemu/{vmid}/config", proxy: true, perm: perm("/vms/{vmid}", "VM.Audit"),
			h: hGuestConfig("qemu"), params: map[string]ptype{"current": pBool, "snapshot": pString}},
		{method: "GET", pattern: "/nodes/{node}/lxc/{vmid}/config", proxy: true, perm: perm("/vms/{vmid}", "VM.Audit"),
			h: hGuestConfig("lxc"), params: map[string]ptype{"current": pBool, "snapshot": pString}},
		{method: "GET", pattern: "/nodes/{node}/qemu/{vmid}/snapshot", proxy: true, perm: perm("/vms/{vmid}", "VM.Audit"),
			h: hSnapshots("qemu")},
		{method: "GET", pattern: "/nodes/{node}/lxc/{vmid}/snapshot", proxy: true, perm: perm("/vms/{vmid}", "VM.Audit"),
			h: hSnapshots("lxc")},
		{method: "GET", pattern: "/storage", h: hStorageConfigList, params: map[string]ptype{"type": pEnum(
			"btrfs", "cephfs", "cifs", "dir", "esxi", "iscsi", "iscsidirect", "lvm", "lvmthin", "nfs", "pbs", "rbd", "zfs", "zfspool")}},
		{method: "GET", pattern: "/storage/{storage}", perm: perm("/storage/{storage}", "Datastore.Allocate"), h: hStorageConfig},
		{method: "GET", pattern: "/nodes/{node}/storage", proxy: true, h: hNodeStorage, params: map[string]ptype{
			"content": pString, "enabled": pBool, "format": pBool, "storage": pString, "target": pString}},
		{method: "GET", pattern: "/nodes/{node}/storage/{storage}/content", proxy: true,
			perm: permAny("/storage/{storage}", "Datastore.Audit", "Datastore.AllocateSpace"), h: hStorageContent,
			params: map[string]ptype{"content": pEnum("images", "rootdir", "vztmpl", "iso", "backup", "snippets", "import"), "vmid": pInt}},
		{method: "GET", pattern: "/nodes/{node}/tasks", proxy: true, h: hNodeTasks, params: map[string]ptype{
			"errors": pBool, "limit": pInt, "since": pInt, "source": pEnum("archive", "active", "all"), "start": pInt,
			"statusfilter": pString, "typefilter": pString, "until": pInt, "userfilter": pString, "vmid": pInt}},
		{method: "GET", pattern: "/nodes/{node}/tasks/{upid}/status", proxy: true, h: hTaskStatus},
		{method: "GET", pattern: "/nodes/{node}/tasks/{upid}/log", proxy: true, h: hTaskLog,
			params: map[string]ptype{"start": pInt, "limit": pInt, "download": pBool}},
		{method: "GET", pattern: "/nodes/{node}/replication", proxy: true, h: hNodeReplication,
			params: map[string]ptype{"guest": pInt}},
		{method: "GET", pattern: "/nodes/{node}/replication/{id}/status", proxy: true, h: hNodeReplicationStatus},
		{method: "POST", pattern: "/nodes/{node}/replication/{id}/schedule_now", proxy: true, h: hScheduleNow},
		{method: "POST", pattern: "/nodes/{node}/vzdump", proxy: true, h: hVzdump, params: vzdumpParams},
	}, networkRoutes()...)
}
