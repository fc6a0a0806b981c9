// Package prune models Proxmox VE backup retention ("prune-backups") and
// reproduces the keep/remove marking that Proxmox applies to a backup list.
//
// The package is pure: it performs no I/O and reads no clock. Callers pass
// the backup list and the node's time zone, because Proxmox computes every
// retention period (hour, day, ISO week, month, year) in the node's local time.
//
// Overview:
//
//   - Options is the retention policy. ParseString reads the property-string
//     form used by storage.cfg and by POST/PUT ("keep-last=3,keep-daily=7");
//     ParseValue also reads the object form returned by GET /cluster/backup
//     ({"keep-last":"3"}) with string or number values.
//   - Effective picks the policy vzdump would use: the job's, else the
//     storage's, else keep-all. Policies are never merged key by key.
//   - MarkBackups marks the backups of a directory-like PVE storage;
//     MarkSnapshots marks Proxmox Backup Server snapshots, which add
//     "keep-partial" for an unfinished newest snapshot.
//
// The authoritative server-side equivalent is the dry-run endpoint
// GET /nodes/{node}/storage/{storage}/prunebackups.
package prune
