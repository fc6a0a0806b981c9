// Package pvesim simulates the Proxmox VE API (PVE 9.1) for tests,
// benchmarks and the --demo mode.
//
// An Estate holds the truth of one endpoint (a cluster or a standalone
// node): nodes, guests, storages, backups, snapshots, tasks, backup jobs and
// replication jobs. A Sim is the http.Handler that answers from it under
// /api2/json/, and Start serves a Sim on loopback over HTTPS with a
// self-signed certificate (or plain HTTP). Demo and Large generate the
// estates of the presets deterministically from a seed and a clock; their
// backup history follows the jobs' schedules (package calendar) and
// retention (package prune).
//
// Answers are derived from the truth on every request, so tests can mutate
// an Estate (Update, AddBackup, SetNodeOnline, ...) and see the effect on
// the next request. Writes go the other way: POST .../vzdump starts a task
// that finishes on the estate's clock and adds its backups, applying the
// effective retention.
//
// # Reproduced Proxmox quirks
//
// Transport and errors (respond.go, dispatch.go, auth.go):
//   - Envelope {"data": ...}; "total" beside "data" for node tasks and task
//     logs; headers of pve-api-daemon/3.0 (Content-Type
//     application/json;charset=UTF-8).
//   - The error text is the HTTP reason phrase ("HTTP/1.1 500 Configuration
//     file 'nodes/pve1/qemu-server/999.conf' does not exist"), written on a
//     hijacked connection since net/http cannot set reason phrases; the body
//     also carries "message" (PVE >= 8.4) unless Options.LegacyErrors.
//   - 400 "Parameter verification failed." with an "errors" object: unknown
//     parameters, boolean query values other than 0/1 (?errors=true), bad
//     integers and enums, missing required ones, unknown job id on
//     /cluster/backup/{id}, bad or unknown UPID.
//   - 401 "No ticket", "invalid token value!", "no such token ..."; optional
//     delay like pveproxy's 3 s (Options.AuthFailureDelay).
//   - 403 "Permission check failed (/path, Priv)", with "|" between
//     alternatives, checked after parameter verification.
//   - 500 for handler failures: missing guest config, guest on another node,
//     unknown storage, unknown node (hostname lookup), replication job of
//     another node.
//   - 501 "Method 'GET /path' not implemented" for unknown paths/methods.
//   - 595 "No route to host" with an empty body for proxied requests to an
//     offline node.
//
// Auth (auth.go): "PVEAPIToken=user@realm!id=secret" (also with a space,
// up to ";"); tickets from POST /access/ticket (cookie or
// "Authorization: PVEAuthCookie=", 2 h lifetime, renewal with the ticket as
// password, CSRFPreventionToken required on non-GET); per-token ACLs; an
// auditor (PVEAuditor) silently gets an empty backup list; backups without
// an owner need Datastore.Allocate; lists are filtered by VM.Audit /
// Datastore.Audit; GET /storage/{id} needs Datastore.Allocate.
//
// Types and presence (handlers_*.go):
//   - /nodes/{n}/status: loadavg, cpuinfo.mhz and cpuinfo.hvm are strings.
//   - /nodes/{n}/version: any authenticated caller, the node's own version.
//   - Guest lists: "template" and "lock" only when set, "pid" only while
//     running, pressure* values as strings, no "type" in the qemu list,
//     "name" defaults to "VM <id>" / "CT<id>", lxc "cpus" is the STRING of
//     cpulimit when cores is unset.
//   - Configs: integers and booleans as numbers, "number" keys (cpulimit)
//     as strings, qemu "memory" as a string, lxc memory/swap as numbers, raw
//     lxc lines as [key, value] pairs, "digest" and "parent".
//   - Snapshots: the "current" pseudo-entry (digest, running, "You are
//     here!", no snaptime); vmstate only for qemu.
//   - Cluster resources: "template" always 0/1; guests without rrd data and
//     guests of offline nodes only have id/type/vmid/node/status "unknown"
//     (no name); offline nodes keep only static sizes; storages once per node
//     (respecting "nodes"), status "unknown" and no usage on offline nodes;
//     lxc maxcpu may be fractional (1.5 from cpulimit).
//   - /cluster/status: no "cluster" entry on a standalone node (nodeid 0).
//   - /storage: prune-backups as a property STRING, "shared" 1 for shared
//     types, "disable" only when set, one digest for the whole file.
//   - /nodes/{n}/storage: usage only for active, enabled storages.
//   - Storage content: sorted by lower-cased volid, "protected" only as 1,
//     notes first line only, subtype "unknown" and no vmid for non-standard
//     names, dir file names in the node's local time, PBS volids in UTC with
//     verification {state, upid} and encrypted.
//   - Node tasks: newest first, exit status in "status", RUNNING plus
//     saved "0" for active tasks, paging (start/limit, limit 0 = all) and
//     since/until/typefilter/statusfilter/userfilter/vmid/errors/source.
//   - /cluster/tasks: per node the running tasks plus the latest finished
//     up to 25 entries in all; everyone's with Sys.Audit on /, else one's
//     own; no pstart, pid only while running, status/endtime only when
//     finished, "saved" as "0"/"1" or the number 1 (Task.SavedNumber).
//   - Task status: running|stopped plus exitstatus, no endtime; task log:
//     1-based n, limit 0 = all, "no content" for an empty log, [] beyond the
//     end, last line TASK OK / TASK WARNINGS: n / TASK ERROR: msg.
//   - /cluster/backup: prune-backups, fleecing and performance as objects
//     of STRINGS, "type":"vzdump", "enabled" absent on migrated jobs,
//     exclude-path as an array, next-run only in the list.
//   - not-backed-up: guests no job selects (disabled jobs count), name null
//     when the config has none.
//   - Replication: schedule absent when default, rate a number, disable
//     only when set; node lists only jobs whose guest lives there;
//     next_sync = last_try + 5 min x fail_count after failures.
//   - POST vzdump: UPID with the vmid as task id for one guest ("" for
//     several), "OK" when no listed guest is local, 400 for a foreign "node"
//     option, root-only options, guest lock "backup" while running.
//   - POST schedule_now: answers null (no UPID), moves next_sync to now.
//
// Faults (faults.go): 5xx, 595, 401, 403, timeouts (hang until the client
// gives up), truncated and invalid JSON, at a rate, per path pattern,
// deterministic from Options.Seed. Latency: fixed plus deterministic jitter.
// Requests are counted per normalised path ("GET /nodes/{node}/tasks"),
// and shown as JSON at ControlRequestsPath (/_sim/requests, outside the
// API: no token, not counted itself; DELETE zeroes the counts).
package pvesim
