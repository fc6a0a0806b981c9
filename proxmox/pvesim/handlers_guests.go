package pvesim

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// GET /nodes/{node}/time: the node's zone, and its clock in UTC and in
// local time (both in seconds, as Proxmox writes them).
func hNodeTime(c *call) (*result, error) {
	loc := c.t.Location
	_, offset := c.now.In(loc).Zone()
	var w jw
	w.obj()
	w.kStr("timezone", loc.String())
	w.kInt("time", c.now.Unix())
	w.kInt("localtime", c.now.Unix()+int64(offset))
	w.endObj()
	return ok(&w)
}

// GET /nodes/{node}/status: loadavg, cpuinfo.mhz and cpuinfo.hvm are strings.
func hNodeStatus(c *call) (*result, error) {
	n := c.t.node(c.nodeName())
	var w jw
	w.obj()
	w.kInt("uptime", n.Uptime)
	w.kInt("idle", int64(n.Idle))
	w.key("loadavg")
	w.arr()
	for _, l := range n.LoadAvg {
		w.str(l)
	}
	w.endArr()
	w.kStr("kversion", n.KVersion)
	w.key("current-kernel")
	w.obj()
	w.kStr("sysname", "Linux")
	w.kStr("release", n.KernelRelease)
	w.kStr("version", n.KernelVersion)
	w.kStr("machine", n.HostArch)
	w.endObj()
	w.key("boot-info")
	w.obj()
	w.kStr("mode", n.BootMode)
	if n.BootMode == "efi" {
		w.kBool("secureboot", n.SecureBoot)
	}
	w.endObj()
	w.key("cpuinfo")
	w.obj()
	w.kInt("user_hz", 100)
	w.kStr("model", n.CPUModel)
	w.kStr("mhz", n.CPUMHz)
	w.kInt("cpus", int64(n.MaxCPU))
	w.kInt("sockets", int64(n.CPUSockets))
	w.kInt("cores", int64(n.CPUCores))
	w.kStr("flags", n.CPUFlags)
	w.kStr("hvm", "1")
	w.endObj()
	w.kFloat("cpu", n.CPU)
	w.kFloat("wait", n.Wait)
	w.key("memory")
	w.obj()
	w.kInt("free", n.MemFree)
	w.kInt("total", n.MaxMem)
	w.kInt("available", n.MemAvailable)
	w.kInt("used", n.Mem)
	w.endObj()
	w.key("ksm")
	w.obj()
	w.kInt("shared", n.KSMShared)
	w.endObj()
	w.key("swap")
	w.obj()
	w.kInt("free", n.SwapTotal-n.SwapUsed)
	w.kInt("total", n.SwapTotal)
	w.kInt("used", n.SwapUsed)
	w.endObj()
	w.kStr("pveversion", n.PVEVersion)
	w.key("rootfs")
	w.obj()
	w.kInt("total", n.MaxDisk)
	w.kInt("avail", n.RootfsAvail)
	w.kInt("used", n.Disk)
	w.kInt("free", n.MaxDisk-n.Disk)
	w.endObj()
	w.endObj()
	return ok(&w)
}

var pressureKeys = map[string][]string{
	"qemu": {"pressurecpusome", "pressurecpufull", "pressureiosome", "pressureiofull", "pressurememorysome", "pressurememoryfull"},
	"lxc":  {"pressurecpusome", "pressureiosome", "pressureiofull", "pressurememorysome", "pressurememoryfull"},
}

// GET /nodes/{node}/qemu and /nodes/{node}/lxc: only guests whose config
// lives on the node; "template" and "lock" only when set; the lxc "cpus" is a
// string when it comes from cpulimit.
func hGuestList(kind string) func(c *call) (*result, error) {
	return func(c *call) (*result, error) {
		node := c.t.node(c.nodeName())
		full := c.bool("full")
		var w jw
		w.arr()
		for _, g := range sortedGuests(c.t.Guests) {
			if g.Node != node.Name || g.Type != kind || !c.who.can("/vms/"+strconv.Itoa(g.VMID), "VM.Audit") {
				continue
			}
			running := g.Status == "running"
			w.obj()
			w.kInt("vmid", int64(g.VMID))
			if kind == "lxc" {
				w.kStr("type", "lxc")
			}
			w.kStr("name", displayName(g))
			w.kStr("status", g.Status)
			if kind == "lxc" {
				writeLXCCPUs(&w, g, node)
			} else {
				w.kInt("cpus", int64(g.MaxCPU))
			}
			w.kInt("maxmem", g.MaxMem)
			w.kInt("mem", g.Mem)
			if kind == "qemu" {
				w.kInt("memhost", g.MemHost)
			} else {
				w.kInt("maxswap", g.MaxSwap)
				w.kInt("swap", g.Swap)
			}
			w.kInt("maxdisk", g.MaxDisk)
			w.kInt("disk", g.Disk)
			w.kInt("netin", g.NetIn)
			w.kInt("netout", g.NetOut)
			w.kInt("diskread", g.DiskRead)
			w.kInt("diskwrite", g.DiskWrite)
			w.kInt("uptime", g.Uptime)
			w.kFloat("cpu", g.CPU)
			if running && g.PID != 0 {
				w.kInt("pid", int64(g.PID))
			}
			w.oStr("tags", g.Tags)
			w.oStr("lock", g.Lock)
			w.oTrue("template", g.Template)
			if _, ok := g.Config["serial0"]; ok && kind == "qemu" {
				w.kInt("serial", 1)
			}
			if running {
				for _, k := range pressureKeys[kind] {
					if v, ok := g.Pressure[k]; ok {
						w.kStr(k, v)
					}
				}
			}
			if full && kind == "qemu" {
				w.kStr("qmpstatus", g.Status)
				if running {
					w.kStr("running-machine", "pc-q35-10.0+pve1")
					w.kStr("running-qemu", "10.0.2")
					w.kInt("balloon", g.MaxMem)
					w.kInt("freemem", g.MaxMem-g.Mem)
				}
			}
			w.endObj()
		}
		w.endArr()
		return ok(&w)
	}
}

// writeLXCCPUs: cpus = cores || cpulimit || host CPUs; the cpulimit case is a
// JSON string because the config value is a Perl string.
func writeLXCCPUs(w *jw, g *Guest, node *Node) {
	if v, ok := g.Config["cores"]; ok {
		w.key("cpus")
		writeConfigValue(w, v)
		return
	}
	if v, ok := g.Config["cpulimit"].(string); ok && v != "0" {
		w.kStr("cpus", v)
		return
	}
	w.kInt("cpus", int64(node.MaxCPU))
}

// localGuest finds the guest of the path, or the 500 Proxmox answers when its
// config is not on that node.
func (c *call) localGuest(kind string) (*Guest, error) {
	vmid, err := strconv.Atoi(c.vars["vmid"])
	if err != nil || vmid < 100 {
		return nil, errParam("vmid", "value does not look like a valid VM ID")
	}
	node := c.nodeName()
	g := c.t.guest(vmid)
	if g == nil || g.Node != node || g.Type != kind {
		dir := "qemu-server"
		if kind == "lxc" {
			dir = "lxc"
		}
		return nil, err500(fmt.Sprintf("Configuration file 'nodes/%s/%s/%d.conf' does not exist", node, dir, vmid))
	}
	return g, nil
}

// guestConfig merges the guest's fields into its config the way the file
// holds them.
func guestConfig(g *Guest) map[string]any {
	m := make(map[string]any, len(g.Config)+4)
	for k, v := range g.Config {
		m[k] = v
	}
	if g.Name != "" {
		if g.Type == "lxc" {
			m["hostname"] = g.Name
		} else {
			m["name"] = g.Name
		}
	}
	if g.Tags != "" {
		m["tags"] = g.Tags
	}
	if g.Lock != "" {
		m["lock"] = g.Lock
	}
	if g.Template {
		m["template"] = 1
	}
	return m
}

// ConfigDigest is the digest the config endpoint reports (SHA-1 over the
// config in a canonical form; Proxmox hashes the file).
func ConfigDigest(g *Guest) string {
	m := guestConfig(g)
	keys := sortedKeys(m)
	h := sha1.New()
	for _, k := range keys {
		fmt.Fprintf(h, "%s: %v\n", k, m[k])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// GET /nodes/{node}/{qemu,lxc}/{vmid}/config
func hGuestConfig(kind string) func(c *call) (*result, error) {
	return func(c *call) (*result, error) {
		g, err := c.localGuest(kind)
		if err != nil {
			return nil, err
		}
		if c.has("snapshot") && c.bool("current") {
			return nil, errParam("snapshot", "option conflicts with option 'current'")
		}
		m := guestConfig(g)
		var w jw
		w.obj()
		if name := c.str("snapshot"); name != "" {
			var snap *Snapshot
			for _, s := range g.Snapshots {
				if s.Name == name {
					snap = s
				}
			}
			if snap == nil {
				return nil, err500("snapshot '" + name + "' does not exist")
			}
			// Snapshot configs are not modelled separately: the current config
			// with the snapshot's own keys.
			m["snaptime"] = snap.SnapTime
			if snap.Description != "" {
				m["description"] = snap.Description
			}
			if kind == "qemu" && snap.VMState {
				m["vmstate"] = 1
			}
			if snap.Parent != "" {
				m["parent"] = snap.Parent
			}
			delete(m, "lock")
		} else {
			w.kStr("digest", ConfigDigest(g))
			if g.Parent != "" {
				m["parent"] = g.Parent
			}
		}
		for _, k := range sortedKeys(m) {
			w.key(k)
			writeConfigValue(&w, m[k])
		}
		w.endObj()
		return ok(&w)
	}
}

func writeConfigValue(w *jw, v any) {
	switch x := v.(type) {
	case string:
		w.str(x)
	case int:
		w.int(int64(x))
	case int64:
		w.int(x)
	case float64:
		w.float(x)
	case bool:
		w.bool01(x)
	case [][2]string:
		w.arr()
		for _, l := range x {
			w.arr()
			w.str(l[0])
			w.str(l[1])
			w.endArr()
		}
		w.endArr()
	case nil:
		w.null()
	default:
		w.str(fmt.Sprint(x))
	}
}

// GET /nodes/{node}/{qemu,lxc}/{vmid}/snapshot: always ends with the
// "current" pseudo-entry; vmstate is qemu only.
func hSnapshots(kind string) func(c *call) (*result, error) {
	return func(c *call) (*result, error) {
		g, err := c.localGuest(kind)
		if err != nil {
			return nil, err
		}
		var w jw
		w.arr()
		for _, s := range g.Snapshots {
			w.obj()
			w.kStr("name", s.Name)
			w.kStr("description", s.Description)
			w.kInt("snaptime", s.SnapTime)
			if kind == "qemu" {
				w.kBool("vmstate", s.VMState)
			}
			w.oStr("parent", s.Parent)
			w.oStr("snapstate", s.SnapState)
			w.endObj()
		}
		w.obj()
		w.kStr("name", "current")
		w.kStr("digest", ConfigDigest(g))
		w.kBool("running", g.Status == "running")
		w.kStr("description", "You are here!")
		w.oStr("parent", g.Parent)
		w.endObj()
		w.endArr()
		return ok(&w)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// firstLine is what the content list shows of a backup's notes.
func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
