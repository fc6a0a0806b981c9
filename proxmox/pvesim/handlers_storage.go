package pvesim

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// storageDigest is the digest of storage.cfg, identical on every item.
func storageDigest(t *Truth) string {
	h := sha1.New()
	for _, s := range t.Storages {
		cfg := *s
		cfg.Usage = nil // usage is status, not configuration
		fmt.Fprintf(h, "%+v\n", cfg)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// writeStorageConfig writes one storage.cfg section: raw keys, absent when
// unset, prune-backups as the property STRING (unlike /cluster/backup).
func writeStorageConfig(w *jw, s *Storage, digest string) {
	w.obj()
	w.kStr("storage", s.ID)
	w.kStr("type", s.Type)
	w.kStr("content", s.Content)
	w.oStr("path", s.Path)
	w.oStr("server", s.Server)
	w.oStr("export", s.Export)
	w.oStr("options", s.Options)
	w.oStr("datastore", s.Datastore)
	w.oStr("username", s.Username)
	w.oStr("fingerprint", s.Fingerprint)
	w.oStr("namespace", s.Namespace)
	w.oStr("thinpool", s.ThinPool)
	w.oStr("vgname", s.VGName)
	w.oStr("pool", s.Pool)
	w.oStr("nodes", s.Nodes)
	w.oStr("prune-backups", s.PruneBackups)
	w.oInt("max-protected-backups", int64(s.MaxProtectedBackups))
	w.oTrue("disable", s.Disable)
	w.oTrue("shared", s.IsShared())
	w.kStr("digest", digest)
	w.endObj()
}

// GET /storage[?type=]
func hStorageConfigList(c *call) (*result, error) {
	digest := storageDigest(c.t)
	typ := c.str("type")
	var w jw
	w.arr()
	for _, s := range c.t.Storages {
		if (typ == "" || s.Type == typ) && c.canSeeStorage(s.ID) {
			writeStorageConfig(&w, s, digest)
		}
	}
	w.endArr()
	return ok(&w)
}

// GET /storage/{storage}
func hStorageConfig(c *call) (*result, error) {
	s := c.t.storage(c.vars["storage"])
	if s == nil {
		return nil, err500("storage '" + c.vars["storage"] + "' does not exist")
	}
	var w jw
	writeStorageConfig(&w, s, storageDigest(c.t))
	return ok(&w)
}

// GET /nodes/{node}/storage: usage only for active, enabled storages.
func hNodeStorage(c *call) (*result, error) {
	node := c.nodeName()
	var contentFilter []string
	if v := c.str("content"); v != "" {
		contentFilter = strings.Split(v, ",")
	}
	var w jw
	w.arr()
	for _, s := range c.t.Storages {
		if !s.OnNode(node) || !c.canSeeStorage(s.ID) {
			continue
		}
		if id := c.str("storage"); id != "" && id != s.ID {
			continue
		}
		if c.bool("enabled") && s.Disable {
			continue
		}
		if contentFilter != nil && !slices.ContainsFunc(strings.Split(s.Content, ","), func(x string) bool {
			return slices.Contains(contentFilter, x)
		}) {
			continue
		}
		w.obj()
		w.kStr("storage", s.ID)
		w.kStr("type", s.Type)
		w.kStr("content", s.Content)
		w.kBool("active", !s.Disable)
		w.kBool("enabled", !s.Disable)
		w.kBool("shared", s.IsShared())
		if !s.Disable {
			u := s.Usage[node]
			w.kInt("total", u.Total)
			w.kInt("used", u.Used)
			w.kInt("avail", u.Avail)
			frac := 0.0
			if u.Total > 0 {
				frac = float64(u.Used) / float64(u.Total)
			}
			w.kFloat("used_fraction", frac)
		}
		w.endObj()
	}
	w.endArr()
	return ok(&w)
}

// visibleBackups lists the backups of a storage as seen through node, before
// permission filtering, in Proxmox's order (by lower-cased volid).
func visibleBackups(t *Truth, s *Storage, node string) []*Backup {
	shared := s.IsShared()
	var out []*Backup
	for _, b := range t.Backups {
		if b.Storage == s.ID && (shared || b.Node == node) {
			out = append(out, b)
		}
	}
	slices.SortFunc(out, func(a, b *Backup) int { return strings.Compare(strings.ToLower(a.VolID), strings.ToLower(b.VolID)) })
	return out
}

// GET /nodes/{node}/storage/{storage}/content[?content=&vmid=]. Backups are
// the only content modelled. A backup is listed only with Datastore.Allocate
// on the storage, or Datastore.AllocateSpace plus VM.Backup on its guest:
// an auditor silently gets an empty list.
func hStorageContent(c *call) (*result, error) {
	id, node := c.vars["storage"], c.nodeName()
	s := c.t.storage(id)
	if s == nil {
		return nil, err500("storage '" + id + "' does not exist")
	}
	if !s.OnNode(node) {
		return nil, err500("storage '" + id + "' is not available on node '" + node + "'")
	}
	if s.Disable {
		return nil, err500("storage '" + id + "' is disabled")
	}
	var w jw
	w.arr()
	if ct := c.str("content"); ct == "" || ct == "backup" {
		vmid := c.int("vmid", 0)
		allocate := c.who.can("/storage/"+id, "Datastore.Allocate")
		space := c.who.can("/storage/"+id, "Datastore.AllocateSpace")
		for _, b := range visibleBackups(c.t, s, node) {
			if vmid != 0 && int64(b.VMID) != vmid {
				continue
			}
			if !allocate && (b.VMID == 0 || !space || !c.who.can("/vms/"+strconv.Itoa(b.VMID), "VM.Backup")) {
				continue
			}
			writeBackup(&w, b)
		}
	}
	w.endArr()
	return ok(&w)
}

func writeBackup(w *jw, b *Backup) {
	w.obj()
	w.kStr("volid", b.VolID)
	w.kStr("content", "backup")
	w.kStr("format", b.Format)
	w.kStr("subtype", b.Subtype)
	if b.VMID != 0 {
		w.kInt("vmid", int64(b.VMID))
	}
	w.kInt("ctime", b.CTime)
	w.kInt("size", b.Size)
	w.oStr("notes", firstLine(b.Notes))
	w.oTrue("protected", b.Protected)
	w.oStr("encrypted", b.Encrypted)
	if b.Verification != nil {
		w.key("verification")
		w.obj()
		w.kStr("state", b.Verification.State)
		w.kStr("upid", b.Verification.UPID)
		w.endObj()
	}
	w.endObj()
}
