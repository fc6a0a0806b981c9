// Package retention decides what Proxmox's backup retention does to the
// cached backups: which guests a backup job covers, which policy governs
// each backup, and how each kind of storage marks its backups.
//
// The TUI's Backups tab (Verdicts), its retention inspector (Inspect) and
// the prune command (Inspect for --job, MarkListing for a listing on stdin)
// all call it, so they cannot disagree. The package is pure: no I/O, no
// clock; callers pass the node's time zone because Proxmox computes every
// retention period in it.
//
// What Proxmox does, restated:
//
//   - A job covers its VMIDs, or every guest but the excluded ones ("all"),
//     or its pool's members; a job pinned to a node only the guests on it.
//   - A job's run prunes each guest it backed up with the job's effective
//     policy (its own prune-backups, else its storage's, else keep-all;
//     recorded on the routine at refresh). A disabled or stale job runs
//     never and so prunes nothing: a backup no enabled job covers falls to
//     its storage's prune-backups (what a manual prune applies), else to
//     keep-all.
//   - A directory-like storage groups vzdump archives by the type and VMID
//     in their file name; any other file is "renamed" and left alone. A
//     storage that is not shared is a different directory on every node,
//     so each node's backups are pruned apart.
//   - A Proxmox Backup Server prunes snapshot groups (vm/100, ct/200).
//   - Protected backups are never counted and never removed, everywhere.
package retention
