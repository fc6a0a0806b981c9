package pvesim

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/proxbox-tui/proxbox-tui/proxmox/prune"
)

// Operations that change the estate as Proxmox's API calls do. With
// withTask, each records a finished task on the node it ran on, typed and
// identified as Proxmox's worker is (qmsnapshot with the vmid,
// prunebackups with "vmid@storage", ...), starting and ending at the
// estate's now; without, it is a change that leaves no task (done on the
// node by hand, or on the PBS side). Each returns the task it recorded
// (nil without one).

// opTask records a finished task (caller holds the lock).
func (e *Estate) opTask(withTask bool, node, typ, id string) *Task {
	if !withTask {
		return nil
	}
	now := e.now()
	x := e.newTask(node, typ, id, "root@pam", "", now)
	x.EndTime, x.Status = now.Unix(), "OK"
	e.t.Tasks = append(e.t.Tasks, x)
	c := *x
	return &c
}

func guestWorker(g *Guest, qemu, lxc string) string {
	if g.Type == "lxc" {
		return lxc
	}
	return qemu
}

// MakeSnapshot takes a snapshot of a guest's current state (POST
// .../snapshot: qmsnapshot, vzsnapshot).
func (e *Estate) MakeSnapshot(vmid int, name, description string, withTask bool) (*Task, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	g := e.t.guest(vmid)
	if g == nil {
		return nil, fmt.Errorf("guest %d: %w", vmid, ErrNotFound)
	}
	if name == "current" || slices.ContainsFunc(g.Snapshots, func(s *Snapshot) bool { return s.Name == name }) {
		return nil, fmt.Errorf("snapshot %q of %d: %w", name, vmid, ErrExists)
	}
	g.Snapshots = append(g.Snapshots, &Snapshot{Name: name, Description: description, SnapTime: e.now().Unix(), Parent: g.Parent})
	g.Parent = name
	return e.opTask(withTask, g.Node, guestWorker(g, "qmsnapshot", "vzsnapshot"), strconv.Itoa(vmid)), nil
}

// DeleteSnapshot removes a snapshot; its children derive from its parent
// (DELETE .../snapshot/{name}: qmdelsnapshot, vzdelsnapshot).
func (e *Estate) DeleteSnapshot(vmid int, name string, withTask bool) (*Task, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	g := e.t.guest(vmid)
	if g == nil {
		return nil, fmt.Errorf("guest %d: %w", vmid, ErrNotFound)
	}
	i := slices.IndexFunc(g.Snapshots, func(s *Snapshot) bool { return s.Name == name })
	if i < 0 {
		return nil, fmt.Errorf("snapshot %q of %d: %w", name, vmid, ErrNotFound)
	}
	gone := g.Snapshots[i]
	g.Snapshots = slices.Delete(g.Snapshots, i, i+1)
	for _, s := range g.Snapshots {
		if s.Parent == name {
			s.Parent = gone.Parent
		}
	}
	if g.Parent == name {
		g.Parent = gone.Parent
	}
	return e.opTask(withTask, g.Node, guestWorker(g, "qmdelsnapshot", "vzdelsnapshot"), strconv.Itoa(vmid)), nil
}

// MigrateGuest moves a guest to another node (POST .../migrate: qmigrate,
// vzmigrate, recorded on the source node).
func (e *Estate) MigrateGuest(vmid int, target string, withTask bool) (*Task, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	g := e.t.guest(vmid)
	if g == nil {
		return nil, fmt.Errorf("guest %d: %w", vmid, ErrNotFound)
	}
	if e.t.node(target) == nil {
		return nil, fmt.Errorf("node %q: %w", target, ErrNotFound)
	}
	source := g.Node
	g.Node = target
	return e.opTask(withTask, source, guestWorker(g, "qmigrate", "vzmigrate"), strconv.Itoa(vmid)), nil
}

// CreateGuest adds a guest (POST /nodes/{node}/qemu or lxc: qmcreate,
// vzcreate).
func (e *Estate) CreateGuest(g Guest, withTask bool) (*Task, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.t.guest(g.VMID) != nil {
		return nil, fmt.Errorf("guest %d: %w", g.VMID, ErrExists)
	}
	if e.t.node(g.Node) == nil {
		return nil, fmt.Errorf("node %q: %w", g.Node, ErrNotFound)
	}
	e.t.Guests = append(e.t.Guests, &g)
	return e.opTask(withTask, g.Node, guestWorker(&g, "qmcreate", "vzcreate"), strconv.Itoa(g.VMID)), nil
}

// DestroyGuest deletes a guest and its snapshots; its backups stay
// (DELETE /nodes/{node}/qemu|lxc/{vmid}: qmdestroy, vzdestroy).
func (e *Estate) DestroyGuest(vmid int, withTask bool) (*Task, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	i := slices.IndexFunc(e.t.Guests, func(g *Guest) bool { return g.VMID == vmid })
	if i < 0 {
		return nil, fmt.Errorf("guest %d: %w", vmid, ErrNotFound)
	}
	g := e.t.Guests[i]
	e.t.Guests = slices.Delete(e.t.Guests, i, i+1)
	return e.opTask(withTask, g.Node, guestWorker(g, "qmdestroy", "vzdestroy"), strconv.Itoa(vmid)), nil
}

// BackupGuest writes a backup of a guest to a storage of its node (POST
// /nodes/{node}/vzdump for one guest: vzdump, its id the vmid), finished at
// once.
func (e *Estate) BackupGuest(vmid int, storage string, withTask bool) (*Task, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	g := e.t.guest(vmid)
	if g == nil {
		return nil, fmt.Errorf("guest %d: %w", vmid, ErrNotFound)
	}
	st := e.t.storage(storage)
	if st == nil || !st.OnNode(g.Node) {
		return nil, fmt.Errorf("storage %q on %s: %w", storage, g.Node, ErrNotFound)
	}
	node := ""
	if !st.IsShared() {
		node = g.Node
	}
	b := newBackup(e.t, g, st, node, e.now(), "zstd")
	if slices.ContainsFunc(e.t.Backups, func(x *Backup) bool { return x.VolID == b.VolID && x.Node == b.Node }) {
		return nil, fmt.Errorf("backup %q: %w", b.VolID, ErrExists)
	}
	e.t.Backups = append(e.t.Backups, b)
	return e.opTask(withTask, g.Node, "vzdump", strconv.Itoa(vmid)), nil
}

// PruneBackups keeps the newest keepLast backups of a guest on a storage
// (and node, for a local one) and removes the others (DELETE
// /nodes/{node}/storage/{storage}/prunebackups?vmid=: prunebackups, its
// id "vmid@storage").
func (e *Estate) PruneBackups(storage, node string, vmid, keepLast int, withTask bool) (*Task, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	st := e.t.storage(storage)
	if st == nil || e.t.node(node) == nil || !st.OnNode(node) {
		return nil, fmt.Errorf("storage %q on %s: %w", storage, node, ErrNotFound)
	}
	on := node
	if st.IsShared() {
		on = ""
	}
	g := e.t.guest(vmid)
	if g == nil {
		// A destroyed guest's backups stay: prune them by what they say.
		g = &Guest{VMID: vmid, Type: "qemu"}
		for _, b := range e.t.Backups {
			if b.VMID == vmid && b.Storage == storage {
				g.Type = b.Subtype
				break
			}
		}
	}
	e.t.pruneGroup(st, on, g, prune.Options{KeepLast: max(keepLast, 1)})
	return e.opTask(withTask, node, "prunebackups", strconv.Itoa(vmid)+"@"+storage), nil
}
