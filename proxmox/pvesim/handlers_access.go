package pvesim

import (
	"slices"
	"sort"
)

// privileges is every privilege PVE 9 knows, for tokens without an ACL
// (root: everything) and for the per-path answer.
func privileges() []string {
	return []string{
		"Datastore.Allocate", "Datastore.AllocateSpace", "Datastore.AllocateTemplate", "Datastore.Audit",
		"Group.Allocate", "Mapping.Audit", "Mapping.Modify", "Mapping.Use", "Permissions.Modify",
		"Pool.Allocate", "Pool.Audit", "Realm.Allocate", "Realm.AllocateUser", "SDN.Allocate", "SDN.Audit",
		"SDN.Use", "Sys.AccessNetwork", "Sys.Audit", "Sys.Console", "Sys.Incoming", "Sys.Modify",
		"Sys.PowerMgmt", "Sys.Syslog", "User.Modify", "VM.Allocate", "VM.Audit", "VM.Backup", "VM.Clone",
		"VM.Config.CDROM", "VM.Config.CPU", "VM.Config.Cloudinit", "VM.Config.Disk", "VM.Config.HWType",
		"VM.Config.Memory", "VM.Config.Network", "VM.Config.Options", "VM.Console", "VM.GuestAgent.Audit",
		"VM.Migrate", "VM.PowerMgmt", "VM.Replicate", "VM.Snapshot", "VM.Snapshot.Rollback",
	}
}

// GET /access/permissions[?path=]: the caller's effective privileges, per
// ACL path (value 1: propagated to the paths below), or for one path.
func hPermissions(c *call) (*result, error) {
	var w jw
	w.obj()
	if path := c.str("path"); path != "" {
		w.key(path)
		w.obj()
		for _, p := range privileges() {
			if c.who.can(path, p) {
				w.kInt(p, 1)
			}
		}
		w.endObj()
		w.endObj()
		return ok(&w)
	}
	acl := c.who.acl
	if acl == nil {
		acl = map[string][]string{"/": privileges()}
	}
	paths := make([]string, 0, len(acl))
	for p := range acl {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		w.key(p)
		w.obj()
		privs := slices.Clone(acl[p])
		sort.Strings(privs)
		for _, priv := range privs {
			w.kInt(priv, 1)
		}
		w.endObj()
	}
	w.endObj()
	return ok(&w)
}
