package proxmox

import (
	"context"
	"fmt"
	"sort"
)

// MissingPrivilege is a privilege the token lacks, where, and what it costs.
type MissingPrivilege struct {
	Path      string
	Privilege string
	Why       string
}

func (m MissingPrivilege) String() string {
	return fmt.Sprintf("missing %s on %s: %s", m.Privilege, m.Path, m.Why)
}

// PrivilegeReport compares the token's privileges with what proxbox-tui
// needs to read everything, and what its write actions need.
type PrivilegeReport struct {
	Missing          []MissingPrivilege
	MissingForWrites []MissingPrivilege
	BackupStorages   int
}

// Version returns the server's Proxmox VE version.
func (c *Client) Version(ctx context.Context) (string, error) {
	var v wireVersion
	if err := c.Get(ctx, "/version", nil, 0, &v); err != nil {
		return "", err
	}
	return v.Version, nil
}

// CheckPrivileges reads the token's permissions and the storage list and
// reports what is missing.
func (c *Client) CheckPrivileges(ctx context.Context) (*PrivilegeReport, error) {
	var perms permissions
	if err := c.Get(ctx, "/access/permissions", nil, 0, &perms); err != nil {
		return nil, err
	}
	var storages []wireStorage
	if err := c.Get(ctx, "/storage", nil, 0, &storages); err != nil {
		return nil, err
	}
	rep := &PrivilegeReport{}
	need := func(list *[]MissingPrivilege, path, priv, why string) {
		if !perms.has(path, priv) {
			*list = append(*list, MissingPrivilege{Path: path, Privilege: priv, Why: why})
		}
	}
	need(&rep.Missing, "/", "Sys.Audit", "cluster status, backup jobs and the not-backed-up list are refused")
	need(&rep.Missing, "/vms", "VM.Audit", "guests and their snapshots are hidden")
	if !perms.has("/vms", "VM.GuestAgent.Audit") && !perms.has("/vms", "VM.GuestAgent.Unrestricted") && !perms.has("/vms", "VM.Monitor") {
		rep.Missing = append(rep.Missing, MissingPrivilege{Path: "/vms", Privilege: "VM.GuestAgent.Audit (VM.Monitor before PVE 9)",
			Why: "QEMU guests' addresses and host names from the guest agent are not read (their NICs come from the config only)"})
	}
	sort.Slice(storages, func(i, j int) bool { return storages[i].Storage < storages[j].Storage })
	for _, s := range storages {
		if !hasContent(s.Content, "backup") || bool(s.Disable) {
			continue
		}
		rep.BackupStorages++
		path := "/storage/" + s.Storage
		need(&rep.Missing, path, "Datastore.Audit", "the storage's usage and content are hidden")
		if err := perms.backupListing(c.cfg.Name, s.Storage); err != nil {
			rep.Missing = append(rep.Missing, MissingPrivilege{Path: path,
				Privilege: "Datastore.Allocate (or Datastore.AllocateSpace with VM.Backup on /vms)",
				Why:       "Proxmox silently hides every backup volume of this storage from the token"})
		}
		need(&rep.MissingForWrites, path, "Datastore.AllocateSpace", "running a backup job onto this storage is refused")
	}
	need(&rep.MissingForWrites, "/vms", "VM.Backup", "running a backup job is refused")
	need(&rep.MissingForWrites, "/vms", "VM.Replicate", "\"schedule now\" of a replication job is refused")
	return rep, nil
}
