package pvesim

import (
	"slices"
	"strconv"
)

// GET /version
func hVersion(c *call) (*result, error) {
	v := c.t.Version
	var w jw
	w.obj()
	w.kStr("release", v.Release)
	w.kStr("repoid", v.RepoID)
	w.kStr("version", v.Version)
	w.oStr("console", v.Console)
	w.endObj()
	return ok(&w)
}

// GET /cluster/status: a standalone node has no "cluster" entry.
func hClusterStatus(c *call) (*result, error) {
	var w jw
	w.arr()
	if c.t.ClusterName != "" {
		online := 0
		for _, n := range c.t.Nodes {
			if n.Online {
				online++
			}
		}
		w.obj()
		w.kStr("type", "cluster")
		w.kStr("id", "cluster")
		w.kStr("name", c.t.ClusterName)
		w.kInt("nodes", int64(len(c.t.Nodes)))
		w.kBool("quorate", online*2 > len(c.t.Nodes))
		w.kInt("version", int64(c.t.ClusterConfigVersion))
		w.endObj()
	}
	for _, n := range c.t.Nodes {
		w.obj()
		w.kStr("type", "node")
		w.kStr("id", "node/"+n.Name)
		w.kStr("name", n.Name)
		w.kInt("nodeid", int64(n.NodeID))
		w.oStr("ip", n.IP)
		w.kBool("local", n.Name == c.t.LocalNode)
		w.kBool("online", n.Online)
		w.kStr("level", n.Level)
		w.endObj()
	}
	w.endArr()
	return ok(&w)
}

// GET /cluster/resources[?type=vm|storage|node|sdn]
func hClusterResources(c *call) (*result, error) {
	typ := c.str("type")
	var w jw
	w.arr()
	if typ == "" || typ == "vm" {
		for _, g := range sortedGuests(c.t.Guests) {
			if c.who.can("/vms/"+strconv.Itoa(g.VMID), "VM.Audit") {
				writeGuestResource(&w, c.t, g)
			}
		}
	}
	if typ == "" || typ == "node" {
		for _, n := range c.t.Nodes {
			if c.who.can("/nodes/"+n.Name, "Sys.Audit") {
				writeNodeResource(&w, n)
			}
		}
	}
	if typ == "" || typ == "storage" {
		for _, s := range c.t.Storages {
			if s.Disable || !c.canSeeStorage(s.ID) {
				continue
			}
			for _, n := range c.t.Nodes {
				if s.OnNode(n.Name) {
					writeStorageResource(&w, s, n)
				}
			}
		}
	}
	if typ == "" {
		for _, p := range c.t.Pools {
			if c.who.can("/pool/"+p.ID, "Pool.Audit") {
				w.obj()
				w.kStr("id", "/pool/"+p.ID)
				w.kStr("pool", p.ID)
				w.kStr("type", "pool")
				w.endObj()
			}
		}
	}
	w.endArr()
	return ok(&w)
}

func (c *call) canSeeStorage(id string) bool {
	return c.who.can("/storage/"+id, "Datastore.Audit") || c.who.can("/storage/"+id, "Datastore.AllocateSpace")
}

// guestHasStats reports whether pmxcfs has rrd data for the guest: not for
// guests on offline nodes and not for NoStats guests.
func guestHasStats(t *Truth, g *Guest) bool {
	if g.NoStats {
		return false
	}
	n := t.node(g.Node)
	return n != nil && n.Online
}

func displayName(g *Guest) string {
	if g.Name != "" {
		return g.Name
	}
	if g.Type == "lxc" {
		return "CT" + strconv.Itoa(g.VMID)
	}
	return "VM " + strconv.Itoa(g.VMID)
}

func writeGuestResource(w *jw, t *Truth, g *Guest) {
	w.obj()
	w.kStr("id", g.Type+"/"+strconv.Itoa(g.VMID))
	w.kStr("type", g.Type)
	w.kInt("vmid", int64(g.VMID))
	w.kStr("node", g.Node)
	if guestHasStats(t, g) {
		w.kStr("name", displayName(g))
		w.kStr("status", g.Status)
		w.kBool("template", g.Template) // always present here, unlike the node lists
		w.kInt("uptime", g.Uptime)
		w.kFloat("maxcpu", g.MaxCPU)
		w.kFloat("cpu", g.CPU)
		w.kInt("maxmem", g.MaxMem)
		w.kInt("mem", g.Mem)
		if g.Type == "qemu" {
			w.kInt("memhost", g.MemHost)
		}
		w.kInt("maxdisk", g.MaxDisk)
		w.kInt("disk", g.Disk)
		w.kInt("netin", g.NetIn)
		w.kInt("netout", g.NetOut)
		w.kInt("diskread", g.DiskRead)
		w.kInt("diskwrite", g.DiskWrite)
	} else {
		w.kStr("status", "unknown")
	}
	w.oStr("tags", g.Tags)
	w.oStr("lock", g.Lock)
	w.oStr("pool", g.Pool)
	w.oStr("hastate", g.HAState)
	w.endObj()
}

func writeNodeResource(w *jw, n *Node) {
	w.obj()
	w.kStr("id", "node/"+n.Name)
	w.kStr("type", "node")
	w.kStr("node", n.Name)
	if n.Online {
		w.kStr("status", "online")
		w.kStr("level", n.Level)
		w.kInt("uptime", n.Uptime)
		w.kFloat("cpu", n.CPU)
		w.kInt("maxcpu", int64(n.MaxCPU))
		w.kInt("mem", n.Mem)
		w.kInt("maxmem", n.MaxMem)
		w.kInt("disk", n.Disk)
		w.kInt("maxdisk", n.MaxDisk)
		w.kInt("cgroup-mode", int64(n.CgroupMode))
		w.oStr("host-arch", n.HostArch)
	} else {
		// Offline: static sizes survive in the rrd cache, live values do not.
		w.kStr("status", "offline")
		w.kStr("level", n.Level)
		w.kInt("maxcpu", int64(n.MaxCPU))
		w.kInt("maxmem", n.MaxMem)
		w.kInt("maxdisk", n.MaxDisk)
		w.kInt("cgroup-mode", int64(n.CgroupMode))
	}
	w.endObj()
}

func writeStorageResource(w *jw, s *Storage, n *Node) {
	w.obj()
	w.kStr("id", "storage/"+n.Name+"/"+s.ID)
	w.kStr("type", "storage")
	w.kStr("storage", s.ID)
	w.kStr("node", n.Name)
	w.kStr("plugintype", s.Type)
	if n.Online {
		w.kStr("status", "available")
	} else {
		w.kStr("status", "unknown")
	}
	w.kBool("shared", s.IsShared())
	w.kStr("content", s.Content)
	if n.Online {
		u := s.Usage[n.Name]
		w.kInt("disk", u.Used)
		w.kInt("maxdisk", u.Total)
	}
	w.endObj()
}

// GET /nodes
func hNodes(c *call) (*result, error) {
	var w jw
	w.arr()
	for _, n := range c.t.Nodes {
		w.obj()
		w.kStr("node", n.Name)
		w.kStr("type", "node")
		w.kStr("id", "node/"+n.Name)
		w.kStr("level", n.Level)
		if n.Online {
			w.kStr("status", "online")
			w.kInt("uptime", n.Uptime)
			w.kFloat("cpu", n.CPU)
			w.kInt("maxcpu", int64(n.MaxCPU))
			w.kInt("mem", n.Mem)
			w.kInt("maxmem", n.MaxMem)
			w.kInt("disk", n.Disk)
			w.kInt("maxdisk", n.MaxDisk)
		} else {
			w.kStr("status", "offline")
		}
		w.oStr("ssl_fingerprint", n.SSLFingerprint)
		w.endObj()
	}
	w.endArr()
	return ok(&w)
}

func sortedGuests(gs []*Guest) []*Guest {
	out := slices.Clone(gs)
	slices.SortFunc(out, func(a, b *Guest) int { return a.VMID - b.VMID })
	return out
}
