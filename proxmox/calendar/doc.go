// Package calendar parses Proxmox VE calendar events, the schedule format of
// backup jobs and replication, and computes their next occurrence.
//
// The dialect is the one implemented by Proxmox's proxmox-time crate, which
// PVE (since libpve-common-perl 7.1) and PBS use. It looks like systemd's
// OnCalendar format but is not a subset of it:
//
//   - A lone number or list is a minute: "*/15", "5", "mon..fri 22" (the
//     last one fires at xx:22, not at 22:00).
//   - Weekday ranges wrap: "fri..mon" is Friday to Monday.
//   - "HH:MM" with HH >= 24 is read as "MM:SS": "24:00" is minute 24.
//   - Keywords (daily, weekly, ...) must stand alone, optionally followed by
//     "UTC".
//   - A trailing, case-sensitive "UTC" evaluates the event in UTC instead of
//     the node's time zone.
//
// Next reproduces Proxmox's search step by step, including its quirks: an
// open-ended repetition whose step does not divide the field's cycle skips
// the first value of the next cycle ("*/7" from 00:57 gives 01:07), and the
// search gives up after 1000 steps.
//
// Local time follows glibc's mktime as Proxmox runs it inside the long-lived
// scheduler daemon:
//
//   - A wall time inside a spring-forward gap moves forward by the length of
//     the gap (02:30 becomes 03:30 DST), so that day's 02:30 run is skipped.
//   - An ambiguous wall time in a fall-back overlap takes the UTC offset of
//     the previous conversion in the same search; the first conversion uses
//     the offset in effect just after the start instant.
//   - Unlike Proxmox, Next never returns an instant at or before its
//     argument. In the one known case where glibc makes Proxmox go backwards
//     (a seconds step overflowing at the end of a repeated hour, e.g.
//     "*:*:0/20" from 02:59:40 summer time), Next follows the rules above
//     and returns the first later match they give (03:00 standard time).
package calendar
