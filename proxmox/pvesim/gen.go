package pvesim

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// gen builds one estate. All randomness comes from r, seeded from the preset
// seed and the endpoint, and nothing iterates over a map, so generation is
// deterministic.
type gen struct {
	r     *rand.Rand
	t     *Truth
	now   time.Time
	days  int
	start time.Time // now - days
	// addrs is the endpoint's guest address plan; the zero value is the
	// lab's. Endpoints of one demo keep theirs apart, as NetBox keeps
	// addresses unique.
	addrs addrPlan
}

// addrPlan: containers' net0 in ct.0/24 (gateway ct.1), the addresses
// guests report on NIC i in 10.<nic+i>.<tag>.0/24.
type addrPlan struct {
	ct  string
	nic int
}

func (p addrPlan) container() string {
	if p.ct == "" {
		return "192.168.10"
	}
	return p.ct
}

func (p addrPlan) guestNIC(i int) int {
	if p.nic == 0 {
		return 100 + i
	}
	return p.nic + i
}

func newGen(opts GenerateOptions, now time.Time, endpoint string, t *Truth) *gen {
	t.Endpoint = endpoint
	if t.Location == nil {
		t.Location = time.UTC
	}
	return &gen{
		r:     rand.New(rand.NewPCG(uint64(opts.Seed), fnv64(endpoint))),
		t:     t,
		now:   now,
		days:  opts.Days,
		start: now.Add(-time.Duration(opts.Days) * 24 * time.Hour),
	}
}

func (g *gen) intn(n int) int            { return g.r.IntN(n) }
func (g *gen) between(a, b int) int      { return a + g.r.IntN(b-a+1) }
func (g *gen) chance(p float64) bool     { return g.r.Float64() < p }
func (g *gen) pick(s []string) string    { return s[g.r.IntN(len(s))] }
func (g *gen) int64n(a, b int64) int64   { return a + g.r.Int64N(b-a+1) }
func (g *gen) frac(a, b float64) float64 { return a + g.r.Float64()*(b-a) }

func (g *gen) hex(n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[g.r.IntN(16)]
	}
	return string(b)
}

func (g *gen) uuid() string {
	h := g.hex(32)
	return h[:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:]
}

func (g *gen) fingerprint() string {
	parts := make([]string, 32)
	for i := range parts {
		parts[i] = fmt.Sprintf("%02X", g.r.IntN(256))
	}
	return strings.Join(parts, ":")
}

func (g *gen) mac() string {
	return fmt.Sprintf("BC:24:11:%02X:%02X:%02X", g.r.IntN(256), g.r.IntN(256), g.r.IntN(256))
}

func twoDec(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) }

const (
	kib = int64(1024)
	mib = 1024 * kib
	gib = 1024 * mib
	tib = 1024 * gib
)

var cpuModels = []struct {
	model, mhz string
	cores      int
}{
	{"AMD EPYC 7313P 16-Core Processor", "3000.000", 16},
	{"Intel(R) Xeon(R) Silver 4314 CPU @ 2.40GHz", "2400.000", 16},
	{"AMD Ryzen 7 5700G with Radeon Graphics", "3800.000", 8},
	{"Intel(R) Xeon(R) E-2388G CPU @ 3.20GHz", "3200.000", 8},
	{"AMD EPYC 9124 16-Core Processor", "3000.000", 16},
}

// addNode adds an online node with plausible hardware and load.
func (g *gen) addNode(name string, id int, ip string, memGiB int64, diskGiB int64) *Node {
	m := cpuModels[g.intn(len(cpuModels))]
	sockets := 1
	if g.chance(0.3) {
		sockets = 2
	}
	threads := m.cores * 2 * sockets
	maxMem := memGiB * gib
	mem := int64(float64(maxMem) * g.frac(0.2, 0.7))
	maxDisk := diskGiB * gib
	disk := int64(float64(maxDisk) * g.frac(0.05, 0.4))
	n := &Node{
		Name: name, NodeID: id, IP: ip, Online: true, Level: "", CgroupMode: 2, HostArch: "x86_64",
		Uptime: int64(g.between(3, 120)) * 86400, CPU: g.frac(0.005, 0.25), MaxCPU: threads,
		Mem: mem, MaxMem: maxMem, Disk: disk, MaxDisk: maxDisk,
		LoadAvg:       [3]string{twoDec(g.frac(0, 3)), twoDec(g.frac(0, 3)), twoDec(g.frac(0, 3))},
		Wait:          g.frac(0, 0.01),
		KVersion:      "Linux 6.14.8-2-pve #1 SMP PREEMPT_DYNAMIC PMX 6.14.8-2 (2025-07-22T10:04Z)",
		KernelRelease: "6.14.8-2-pve", KernelVersion: "#1 SMP PREEMPT_DYNAMIC PMX 6.14.8-2 (2025-07-22T10:04Z)",
		BootMode: "efi", SecureBoot: g.chance(0.5),
		CPUModel: m.model, CPUMHz: m.mhz, CPUSockets: sockets, CPUCores: m.cores * sockets,
		CPUFlags:     "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ht syscall nx lm constant_tsc rep_good nopl xtopology aes avx avx2",
		MemFree:      (maxMem - mem) * 9 / 10,
		MemAvailable: maxMem - mem,
		SwapTotal:    8 * gib, SwapUsed: int64(g.intn(64)) * mib,
		RootfsAvail: maxDisk - disk - maxDisk/20,
		KSMShared:   int64(g.intn(4)) * gib,
		PVEVersion:  "pve-manager/9.1.1/c62ab1e8c2b63c54",
	}
	if g.t.LocalNode == "" {
		g.t.LocalNode = name
	} else {
		n.SSLFingerprint = g.fingerprint()
	}
	g.t.Nodes = append(g.t.Nodes, n)
	return n
}

// guestSpec describes a guest to generate.
type guestSpec struct {
	vmid     int
	typ      string // qemu, lxc
	name     string // "" leaves the config without a name
	node     string
	cores    int
	memMiB   int64
	diskGiB  int64
	pool     string
	tags     string
	template bool
	stopped  bool
	cpulimit string // "" = none
	noCores  bool   // lxc: cpus then comes from cpulimit
	ha       bool
	noStats  bool
	windows  bool
}

func (g *gen) addGuest(s guestSpec) *Guest {
	n := g.t.node(s.node)
	running := !s.stopped && !s.template
	maxMem := s.memMiB * mib
	x := &Guest{
		VMID: s.vmid, Type: s.typ, Node: s.node, Name: s.name, Template: s.template, Tags: s.tags, Pool: s.pool,
		NoStats: s.noStats, MaxMem: maxMem, MaxDisk: s.diskGiB * gib, MaxCPU: float64(s.cores),
		Status: "stopped", Config: map[string]any{},
	}
	if s.ha {
		x.HAState = "started"
		if !running {
			x.HAState = "stopped"
		}
	}
	if running {
		x.Status = "running"
		x.Uptime = min(n.Uptime, int64(g.between(600, 90*86400)))
		x.CPU = g.frac(0.001, 0.3)
		x.Mem = int64(float64(maxMem) * g.frac(0.2, 0.85))
		x.NetIn = g.int64n(1, 500) * 1000 * 1000 * int64(g.between(1, 50))
		x.NetOut = x.NetIn / int64(g.between(1, 5))
		x.DiskRead = g.int64n(1, 200) * gib / 10
		x.DiskWrite = x.DiskRead / int64(g.between(1, 4))
		x.PID = g.between(1000, 4194000)
		keys := pressureKeys[s.typ]
		x.Pressure = make(map[string]string, len(keys))
		for _, k := range keys {
			x.Pressure[k] = twoDec(g.frac(0, 0.3) * float64(g.intn(2)))
		}
	}
	c := x.Config
	if s.typ == "qemu" {
		x.MemHost = x.Mem + x.Mem/20
		if !running {
			x.MemHost = 0
		}
		c["cores"] = s.cores
		c["sockets"] = 1
		c["memory"] = strconv.FormatInt(s.memMiB, 10) // a property string since PVE 8.1
		c["cpu"] = "x86-64-v2-AES"
		c["ostype"] = "l26"
		c["machine"] = "q35"
		c["scsihw"] = "virtio-scsi-single"
		c["numa"] = 0
		c["bios"] = "ovmf"
		c["efidisk0"] = fmt.Sprintf("local-lvm:vm-%d-disk-0,efitype=4m,pre-enrolled-keys=1,size=4M", s.vmid)
		c["scsi0"] = fmt.Sprintf("local-lvm:vm-%d-disk-1,discard=on,iothread=1,size=%dG,ssd=1", s.vmid, s.diskGiB)
		c["ide2"] = "none,media=cdrom"
		c["net0"] = fmt.Sprintf("virtio=%s,bridge=vmbr0,firewall=1,tag=%d", g.mac(), 10*g.between(1, 5))
		c["boot"] = "order=scsi0;ide2;net0"
		c["smbios1"] = "uuid=" + g.uuid()
		c["vmgenid"] = g.uuid()
		c["meta"] = fmt.Sprintf("creation-qemu=9.2.0,ctime=%d", g.start.Unix()-int64(g.between(1, 400))*86400)
		if s.windows {
			c["ostype"] = "win11"
			c["tpmstate0"] = fmt.Sprintf("local-lvm:vm-%d-disk-2,size=4M,version=v2.0", s.vmid)
			c["cpu"] = "host"
		} else {
			c["agent"] = "enabled=1,fstrim_cloned_disks=1"
			if g.chance(0.3) {
				c["serial0"] = "socket"
			}
		}
		if g.chance(0.5) {
			c["balloon"] = int(s.memMiB / 2)
		}
		if s.cpulimit != "" {
			c["cpulimit"] = s.cpulimit // "number" keys stay strings
		}
		if running {
			c["onboot"] = 1
		}
		if g.chance(0.3) {
			c["startup"] = fmt.Sprintf("order=%d,up=30", g.between(1, 5))
		}
		if g.chance(0.2) {
			c["protection"] = 1
		}
		if g.chance(0.3) {
			c["ipconfig0"] = fmt.Sprintf("ip=10.100.%d.%d/24,gw=10.100.%d.1", s.vmid%250, g.between(10, 250), s.vmid%250)
		}
	} else {
		x.MaxSwap = 512 * mib
		if running {
			x.Disk = int64(float64(x.MaxDisk) * g.frac(0.1, 0.6))
			x.Swap = int64(g.intn(32)) * mib
		}
		c["arch"] = "amd64"
		c["ostype"] = g.pick([]string{"debian", "debian", "ubuntu", "alpine"})
		if !s.noCores {
			c["cores"] = s.cores
		}
		c["memory"] = int(s.memMiB) // lxc memory is a plain integer
		c["swap"] = 512
		c["rootfs"] = fmt.Sprintf("local-lvm:vm-%d-disk-0,size=%dG", s.vmid, s.diskGiB)
		ct := g.addrs.container()
		c["net0"] = fmt.Sprintf("name=eth0,bridge=vmbr0,firewall=1,gw=%s.1,hwaddr=%s,ip=%s.%d/24,type=veth",
			ct, g.mac(), ct, 20+s.vmid%200)
		c["unprivileged"] = 1
		c["features"] = "nesting=1"
		if running {
			c["onboot"] = 1
		}
		if s.cpulimit != "" {
			c["cpulimit"] = s.cpulimit
			if s.noCores {
				if f, err := strconv.ParseFloat(s.cpulimit, 64); err == nil {
					x.MaxCPU = f
				}
			}
		}
	}
	if g.chance(0.4) {
		c["description"] = g.pick([]string{"managed by ansible\n", "owner: ops\nticket: OPS-1042", "Public service\n", "do not reboot during business hours"})
	}
	g.t.Guests = append(g.t.Guests, x)
	return x
}

var snapshotNames = []string{"base", "pre-upgrade", "before-kernel-6-14", "pre-migration", "golden", "pre-patch", "known-good", "before-config-change"}

// addSnapshots gives a guest a chain of n snapshots in the past.
func (g *gen) addSnapshots(x *Guest, n int) {
	t := g.start.Add(-time.Duration(g.between(1, 300)) * 24 * time.Hour)
	parent := ""
	used := map[string]bool{}
	for i := 0; i < n; i++ {
		name := snapshotNames[(x.VMID+i)%len(snapshotNames)]
		if used[name] {
			name = fmt.Sprintf("snap%d", i)
		}
		used[name] = true
		t = t.Add(time.Duration(g.between(1, 20*24)) * time.Hour)
		if t.After(g.now) {
			t = g.now.Add(-time.Duration(n-i) * time.Hour)
		}
		s := &Snapshot{Name: name, SnapTime: t.Unix(), Parent: parent}
		if g.chance(0.5) {
			s.Description = g.pick([]string{"before apt full-upgrade\n", "clean install", "", "rollback point for OPS-2211"})
		}
		if x.Type == "qemu" && x.Status == "running" && g.chance(0.4) {
			s.VMState = true
		}
		x.Snapshots = append(x.Snapshots, s)
		parent = name
	}
	x.Parent = parent
}

// addStorageUsage sets plausible usage on every node that has the storage.
func (g *gen) addStorageUsage(s *Storage, total int64) {
	s.Usage = map[string]StorageUsage{}
	shared := s.IsShared()
	var sharedUse int64
	if shared {
		sharedUse = int64(float64(total) * g.frac(0.1, 0.6))
	}
	for _, n := range g.t.Nodes {
		if !s.OnNode(n.Name) {
			continue
		}
		used := sharedUse
		tot := total
		if !shared {
			if s.Type == "dir" {
				tot, used = n.MaxDisk, n.Disk
			} else {
				used = int64(float64(total) * g.frac(0.05, 0.6))
			}
		}
		s.Usage[n.Name] = StorageUsage{Total: tot, Used: used, Avail: tot - used}
	}
}
