package pvesim

import "strings"

// GET /nodes/{node}/version: the node's own pve-manager version (any
// authenticated user may read it), from its "pve-manager/9.1.1/<repoid>".
func hNodeVersion(c *call) (*result, error) {
	n := c.t.node(c.nodeName())
	version, repoid := c.t.Version.Version, c.t.Version.RepoID
	if parts := strings.Split(n.PVEVersion, "/"); len(parts) == 3 {
		version, repoid = parts[1], parts[2]
	}
	release := version
	if i := strings.LastIndexByte(version, '.'); i > 0 {
		release = version[:i]
	}
	var w jw
	w.obj()
	w.kStr("release", release)
	w.kStr("repoid", repoid)
	w.kStr("version", version)
	w.endObj()
	return ok(&w)
}
