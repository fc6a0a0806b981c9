package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/proxbox-tui/proxbox-tui/proxmox"
	"github.com/proxbox-tui/proxbox-tui/proxmox/prune"
	"github.com/proxbox-tui/proxbox-tui/retention"
	"github.com/proxbox-tui/proxbox-tui/store"
	"github.com/proxbox-tui/proxbox-tui/textsafe"
	"github.com/spf13/cobra"
)

func (a *app) pruneCommand() *cobra.Command {
	var (
		opts         prune.Options
		pruneBackups string
		job          string
		zone         zoneValue
		format       = choiceValue{value: "text", choices: []string{"text", "json"}}
	)
	// The count flags, in Proxmox's order of application.
	keeps := []struct {
		flag  string
		n     *int
		usage string
	}{
		{"keep-last", &opts.KeepLast, "keep the `N` newest backups"},
		{"keep-hourly", &opts.KeepHourly, "keep the newest backup of `N` different hours"},
		{"keep-daily", &opts.KeepDaily, "keep the newest backup of `N` different days"},
		{"keep-weekly", &opts.KeepWeekly, "keep the newest backup of `N` different ISO weeks"},
		{"keep-monthly", &opts.KeepMonthly, "keep the newest backup of `N` different months"},
		{"keep-yearly", &opts.KeepYearly, "keep the newest backup of `N` different years"},
	}
	cmd := &cobra.Command{
		Use:   "prune",
		Short: "Show which backups a retention policy keeps and which it removes",
		Long: `Show which backups a Proxmox VE retention policy (prune-backups) keeps and
which it removes, marked as Proxmox's prune marks them. Nothing is deleted.

Without --job, the backups are read from standard input: Proxmox's own
listing of a storage, as pvesh prints it or as the API returns it
({"data": [...]}),

  pvesh get /nodes/NODE/storage/STORAGE/content --content backup --output-format json

or a JSON array in the minimal form:

  [{"volid": "nfs:backup/vzdump-qemu-100-2026_11_27-21_00_02.vma.zst",
    "ctime": 1795813202, "vmid": 100, "type": "qemu", "protected": false}]

volid and ctime (epoch seconds) are required. vmid, type (or Proxmox's
subtype: qemu, lxc, openvz or unknown) and protected (true, false, 1 or 0)
are read when present; content, if given, must be "backup"; other fields
(format, size, notes, encrypted, verification, ...) are ignored. The
optional standard_name (true or false) overrides the check of the file name
against vzdump's naming scheme.

The policy is given by the --keep-* flags, or by --prune-backups in Proxmox's
property-string form; not both. With neither, or with no count above 0,
everything is kept, as in Proxmox.

Marking follows Proxmox: archives are grouped by the type and VMID in their
file name, Proxmox Backup Server snapshots (volids like
pbs:backup/vm/100/2026-11-27T20:00:02Z) by snapshot group. Within a group,
newest first, the options apply in the order last, hourly, daily, weekly,
monthly, yearly; each keeps the newest backup of each period that no earlier
option kept a backup in, until it has kept its count of periods, and removes
the other backups of those periods. What no option keeps is removed. Periods
are computed in --tz, which should be the node's time zone (with --job it
defaults to the zone the job's nodes reported). Protected backups
are never counted nor removed ("protected"); archives whose file name is not
vzdump's, such as a file copied by hand and listed without a VMID, are
ignored ("renamed"), as Proxmox's prune leaves them.

With --job ENDPOINT/JOBID, policy and backups come from the cache (--cache):
the job's effective retention (its own prune-backups, else its storage's, else
keep-all), over the cached backups on the job's storage of the guests the job
covers: its VMIDs, its pool's members, or with "all" every guest but the
excluded ones; only guests on the job's node when it names one. The marks are
the retention inspector's: a storage that is not shared is pruned per node,
a Proxmox Backup Server by snapshot group. A disabled job prunes nothing; its
marks show what its runs would do.

Output: --format text prints a table (VOLID, MARK, REASON) and a line counting
each mark; with --job, the job, storage, guests and retention with its source
come first. --format json prints an array of {"volid", "mark", "reason"} with
mark one of keep, remove, protected, renamed. Rows are in input order; with
--job, by guest (VMID order), newest first.

Exit status: 0 on success; 1 when the input is not a valid backup list, or
the cache cannot be read or lacks the endpoint or job; 2 when a flag is
invalid or two flags conflict.`,
		Example: `  # what keep-last=3 and keep-daily=7 do to a list of backups
  proxbox-tui prune --keep-last 3 --keep-daily 7 --tz Europe/Vienna < backups.json

  # the same policy as Proxmox writes it, as JSON
  proxbox-tui prune --prune-backups keep-last=3,keep-daily=7 --format json < backups.json

  # a storage's backups as Proxmox lists them
  pvesh get /nodes/pve1/storage/nfs/content --content backup --output-format json |
    proxbox-tui prune --keep-weekly 4 --tz Europe/Vienna

  # a backup job from the cache
  proxbox-tui prune --job lab/backup-1a2b3c4d-5e6f --tz Europe/Vienna`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			flags := cmd.Flags()
			var keepGiven []string
			for _, k := range keeps {
				if flags.Changed(k.flag) {
					keepGiven = append(keepGiven, k.flag)
				}
			}
			if flags.Changed("keep-all") {
				keepGiven = append(keepGiven, "keep-all")
			}
			conflict := func(a, b string) error {
				return &exitError{code: 2, msg: fmt.Sprintf("--%s and --%s cannot be used together", a, b)}
			}
			switch {
			case flags.Changed("job") && flags.Changed("prune-backups"):
				return conflict("job", "prune-backups")
			case flags.Changed("job") && len(keepGiven) > 0:
				return conflict("job", keepGiven[0])
			case flags.Changed("prune-backups") && len(keepGiven) > 0:
				return conflict("prune-backups", keepGiven[0])
			}
			loc := zone.location()
			out := cmd.OutOrStdout()
			write := func(header []headerLine, verdicts []prune.Verdict) error {
				if format.value == "json" {
					return writeVerdictsJSON(out, verdicts)
				}
				return writeVerdictsText(out, header, verdicts)
			}

			if flags.Changed("job") {
				endpoint, id, ok := strings.Cut(job, "/")
				if !ok || endpoint == "" || id == "" {
					return &exitError{code: 2, msg: fmt.Sprintf("invalid argument %q for \"--job\" flag: want ENDPOINT/JOBID", job)}
				}
				jc, err := a.loadJobCache(endpoint, id)
				if err != nil {
					return err
				}
				zoneFrom := "--tz"
				if !flags.Changed("tz") {
					loc, zoneFrom = proxmox.ZoneOrLocal(jc.zone()), "the nodes' zone"
					if jc.zone() == "" {
						zoneFrom = "local: the nodes' zone is not cached"
					}
				}
				jp := jc.prune(time.Now(), loc)
				for _, w := range jp.warnings {
					fmt.Fprintln(cmd.ErrOrStderr(), "warning:", textsafe.Line(w))
				}
				header := append(jp.header, headerLine{"zone", loc.String() + " (" + zoneFrom + ")"})
				return write(header, jp.verdicts)
			}

			if flags.Changed("prune-backups") {
				var err error
				if opts, err = prune.ParseString(pruneBackups); err != nil {
					msg := strings.TrimPrefix(err.Error(), "prune-backups: ")
					return &exitError{code: 2, msg: fmt.Sprintf("invalid argument %q for \"--prune-backups\" flag: %s", pruneBackups, msg)}
				}
			} else if opts.KeepAll {
				for _, k := range keeps {
					if *k.n > 0 {
						return conflict("keep-all", k.flag)
					}
				}
			}
			backups, err := decodeBackups(cmd.InOrStdin())
			if err != nil {
				return fmt.Errorf("stdin: %w", err)
			}
			return write(nil, retention.MarkListing(backups, opts, loc))
		},
	}
	f := cmd.Flags()
	f.SortFlags = false
	for _, k := range keeps {
		f.Var(boundedInt{k.n, 0}, k.flag, k.usage)
	}
	f.BoolVar(&opts.KeepAll, "keep-all", false, "keep every backup")
	f.StringVar(&pruneBackups, "prune-backups", "", "policy `STR` as Proxmox writes it, e.g. keep-last=3,keep-daily=7")
	f.StringVar(&job, "job", "", "check the cached backup job `ENDPOINT/JOBID` instead of stdin")
	f.Var(&zone, "tz", "compute periods in time `ZONE`, an IANA name (default local)")
	f.Var(&format, "format", "output format")
	cmd.SetFlagErrorFunc(usageError)
	return cmd
}

// choiceValue is a flag taking one of a few words.
type choiceValue struct {
	value   string
	choices []string
}

func (c *choiceValue) String() string { return c.value }

func (c *choiceValue) Set(s string) error {
	if !slices.Contains(c.choices, s) {
		return fmt.Errorf("want %s", strings.Join(c.choices, " or "))
	}
	c.value = s
	return nil
}

func (c *choiceValue) Type() string { return strings.Join(c.choices, "|") }

// backupTypes are the types Proxmox's prune reports: the guest types, the
// legacy openvz, and unknown for files vzdump did not name.
var backupTypes = []string{"qemu", "lxc", "openvz", "unknown"}

// decodeBackups reads the backup list: a JSON array, or the API's
// {"data": [...]}, of backups in the minimal form or as Proxmox lists
// storage content. The first problem is named by index and field.
func decodeBackups(r io.Reader) ([]prune.Backup, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("no input; want a JSON array of backups")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var top json.RawMessage
	if err := dec.Decode(&top); err != nil {
		var syntax *json.SyntaxError
		switch {
		case errors.As(err, &syntax):
			return nil, fmt.Errorf("invalid JSON at byte %d: %v", syntax.Offset, err)
		case errors.Is(err, io.ErrUnexpectedEOF):
			return nil, errors.New("invalid JSON: input ends inside the list")
		}
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("unexpected data after the list at byte %d", dec.InputOffset())
	}
	list, prefix := top, ""
	if jsonKind(top) == "an object" {
		var api map[string]json.RawMessage
		if json.Unmarshal(top, &api) != nil || api["data"] == nil {
			return nil, errors.New(`want a JSON array of backups, or {"data": [...]} as the API returns it; got an object without "data"`)
		}
		list, prefix = api["data"], "data"
	}
	var items []json.RawMessage
	if jsonKind(list) != "an array" || json.Unmarshal(list, &items) != nil {
		what := "want a JSON array of backups, got " + jsonKind(list)
		if prefix != "" {
			what = "data: want an array of backups, got " + jsonKind(list)
		}
		return nil, errors.New(what)
	}
	backups := make([]prune.Backup, len(items))
	for i, raw := range items {
		b, err := decodeBackup(i, raw)
		if err != nil {
			if prefix != "" {
				return nil, fmt.Errorf("%s%w", prefix, err)
			}
			return nil, err
		}
		backups[i] = b
	}
	return backups, nil
}

// elementError is a problem with one element of the input array, or with
// one of its fields.
type elementError struct {
	index int
	field string // "" when the element as a whole is wrong
	msg   string
}

func (e *elementError) Error() string {
	if e.field == "" {
		return fmt.Sprintf("[%d]: %s", e.index, e.msg)
	}
	return fmt.Sprintf("[%d].%s: %s", e.index, e.field, e.msg)
}

// decodeBackup reads element i of the input list. volid and ctime are
// required; vmid, type (or Proxmox's subtype), protected, standard_name and
// content are read when present; other fields (format, size, notes,
// encrypted, verification, ...) are ignored.
func decodeBackup(i int, raw json.RawMessage) (prune.Backup, error) {
	var b prune.Backup
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return b, &elementError{index: i, msg: "want an object, got " + jsonKind(raw)}
	}
	bad := func(field, want string) error {
		return &elementError{index: i, field: field, msg: "want " + want + ", got " + shortJSON(fields[field])}
	}
	for _, key := range []string{"volid", "ctime"} {
		if _, ok := fields[key]; !ok {
			return b, &elementError{index: i, field: key, msg: "missing"}
		}
	}
	if v := fields["volid"]; !isJSONString(v) || json.Unmarshal(v, &b.VolID) != nil || b.VolID == "" {
		return b, bad("volid", "a non-empty string")
	}
	var err error
	if b.CTime, err = strconv.ParseInt(string(fields["ctime"]), 10, 64); err != nil {
		return b, bad("ctime", "epoch seconds (a whole number)")
	}
	if v, ok := fields["content"]; ok {
		var content string
		if !isJSONString(v) || json.Unmarshal(v, &content) != nil || content != "backup" {
			return b, bad("content", `"backup" (list the storage with --content backup)`)
		}
	}
	if v, ok := fields["vmid"]; ok {
		n, err := strconv.ParseInt(string(v), 10, 0)
		if err != nil || n < 0 {
			return b, bad("vmid", "a VMID (a whole number >= 0)")
		}
		b.VMID = int(n)
	}
	for _, key := range []string{"subtype", "type"} { // type wins over subtype
		if v, ok := fields[key]; ok {
			if !isJSONString(v) || json.Unmarshal(v, &b.Type) != nil || !slices.Contains(backupTypes, b.Type) {
				return b, bad(key, quotedList(backupTypes))
			}
		}
	}
	if v, ok := fields["protected"]; ok {
		// Proxmox lists protected as 1 (and leaves it out otherwise).
		switch string(bytes.TrimSpace(v)) {
		case "true", "1":
			b.Protected = true
		case "false", "0":
		default:
			return b, bad("protected", "true, false, 1 or 0")
		}
	}
	if v, ok := fields["standard_name"]; ok {
		var std bool
		if !isJSONBool(v) || json.Unmarshal(v, &std) != nil {
			return b, bad("standard_name", "true or false")
		}
		b.StandardName = &std
	}
	return b, nil
}

func isJSONString(raw []byte) bool { return len(raw) > 0 && raw[0] == '"' }
func isJSONBool(raw []byte) bool   { return len(raw) > 0 && (raw[0] == 't' || raw[0] == 'f') }

// jsonKind names the kind of a JSON value for messages.
func jsonKind(raw []byte) string {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 {
		return "nothing"
	}
	switch t[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// shortJSON shows a JSON value in a message, cut to a readable length.
func shortJSON(raw []byte) string {
	const max = 40
	s := []rune(string(bytes.TrimSpace(raw)))
	if len(s) > max {
		return string(s[:max]) + "..."
	}
	return string(s)
}

func quotedList(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = strconv.Quote(w)
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

// verdictJSON is one element of the json output.
type verdictJSON struct {
	VolID  string     `json:"volid"`
	Mark   prune.Mark `json:"mark"`
	Reason string     `json:"reason"`
}

// writeVerdictsJSON writes the verdicts with every character a terminal
// would act on escaped (textsafe.NewJSONWriter): volids come from the
// input or the cache.
func writeVerdictsJSON(w io.Writer, verdicts []prune.Verdict) error {
	out := make([]verdictJSON, len(verdicts))
	for i, v := range verdicts {
		out[i] = verdictJSON{VolID: v.VolID, Mark: v.Mark, Reason: v.Reason}
	}
	enc := json.NewEncoder(textsafe.NewJSONWriter(w))
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

// headerLine is a "label value" line printed above the text table.
type headerLine struct{ label, value string }

// writeVerdictsText prints the header lines, the aligned table and a summary
// line counting each mark. Values (volids, job, storage and pool names)
// come from the input or the cache: each is one safe cell (textsafe.Line,
// and no tab to break the table).
func writeVerdictsText(w io.Writer, header []headerLine, verdicts []prune.Verdict) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, h := range header {
		fmt.Fprintf(tw, "%s\t%s\n", h.label, textsafe.Line(h.value))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(header) > 0 {
		fmt.Fprintln(w)
	}
	fmt.Fprintln(tw, "VOLID\tMARK\tREASON")
	counts := map[prune.Mark]int{}
	for _, v := range verdicts {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", textsafe.Line(v.VolID), v.Mark, textsafe.Line(v.Reason))
		counts[v.Mark]++
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	noun := "backups"
	if len(verdicts) == 1 {
		noun = "backup"
	}
	_, err := fmt.Fprintf(w, "%d %s: %d keep, %d remove, %d protected, %d renamed\n", len(verdicts), noun,
		counts[prune.Keep], counts[prune.Remove], counts[prune.Protected], counts[prune.Renamed])
	return err
}

// jobCache is what --job reads from the cache: a job and the records of its
// endpoint that decide what it prunes.
type jobCache struct {
	endpoint string
	routine  store.BackupRoutine
	routines []store.BackupRoutine
	guests   []store.Guest
	backups  []store.Backup // on the job's storage
	storage  *store.Storage // nil: not cached
	ep       *store.Endpoint
}

func (jc *jobCache) zone() string {
	if jc.ep == nil {
		return ""
	}
	return jc.ep.TimeZone
}

// loadJobCache reads a backup job and its endpoint's guests, jobs, backups
// on the job's storage, the storage and the endpoint from the cache.
func (a *app) loadJobCache(endpoint, id string) (*jobCache, error) {
	path := a.cachePath
	if path == "" {
		paths, err := a.paths()
		if err != nil {
			return nil, err
		}
		path = paths.CacheFile
	}
	s, err := a.openStore(path, "prune --job") // read-only: a missing cache says so
	if err != nil {
		return nil, err
	}
	defer a.closeStore(s)

	routine, found, err := store.Get[store.BackupRoutine](s, endpoint, id)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, missingJobError(s, endpoint, id)
	}
	jc := &jobCache{endpoint: endpoint, routine: routine}
	if jc.guests, err = store.List[store.Guest](s, endpoint); err != nil {
		return nil, err
	}
	if jc.routines, err = store.List[store.BackupRoutine](s, endpoint); err != nil {
		return nil, err
	}
	err = store.Each[store.Backup](s, endpoint, func(b *store.Backup) bool {
		if b.Storage == routine.Storage {
			jc.backups = append(jc.backups, *b)
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	if st, ok, err := store.Get[store.Storage](s, endpoint, routine.Storage); err != nil {
		return nil, err
	} else if ok {
		jc.storage = &st
	}
	if ep, ok, err := store.Get[store.Endpoint](s, endpoint, endpoint); err != nil {
		return nil, err
	} else if ok {
		jc.ep = &ep
	}
	return jc, nil
}

// jobPrune is what --job prints: the job's marks as the inspector shows
// them, with the header and warnings.
type jobPrune struct {
	verdicts []prune.Verdict
	header   []headerLine
	warnings []string
}

// prune marks the job's backups with retention.Inspect, the inspector's
// own computation: by guest (VMID order, then selected VMIDs no cached
// guest has), newest first.
func (jc *jobCache) prune(now time.Time, loc *time.Location) *jobPrune {
	r := &jc.routine
	in := retention.Inspect(r, jc.guests, jc.backups, jc.routines, jc.storage, jc.ep, now, loc)
	jp := &jobPrune{verdicts: []prune.Verdict{}}
	covered := 0
	for _, g := range in.Guests {
		if g.Guest != nil {
			covered++
		}
		for _, b := range g.Backups {
			jp.verdicts = append(jp.verdicts, prune.Verdict{VolID: b.Backup.VolumeID, Mark: b.Mark, Reason: b.Reason})
		}
	}
	if !r.All && r.Pool == "" {
		present := map[int]bool{}
		for _, g := range jc.guests {
			present[g.VMID] = true
		}
		var missing []int
		for _, id := range r.Selection {
			if !present[id] {
				missing = append(missing, id)
			}
		}
		if len(missing) > 0 {
			jp.warnings = append(jp.warnings, fmt.Sprintf("job %s/%s selects VMID %s, not among the cached guests of %s",
				jc.endpoint, r.JobID, joinInts(missing), jc.endpoint))
		}
	}

	var notes []string
	if !r.Enabled {
		notes = append(notes, "disabled: it prunes nothing until enabled")
	}
	if r.Status == store.StatusStale {
		notes = append(notes, "stale: no longer in Proxmox at the last refresh")
	}
	state := ""
	if len(notes) > 0 {
		state = " (" + strings.Join(notes, "; ") + ")"
	}
	source := in.Source
	if source == "" {
		source = "unknown"
	}
	storage := r.Storage
	switch kind := retention.KindOf(jc.storage); {
	case jc.storage == nil:
		storage += " (not in the cache: pruned per node)"
	case kind.PBS:
		storage += " (Proxmox Backup Server: pruned by snapshot group)"
	case kind.PerNode:
		storage += " (not shared: each node's backups pruned apart)"
	}
	jp.header = []headerLine{
		{"job", jc.endpoint + "/" + r.JobID + state},
		{"storage", storage},
		{"guests", fmt.Sprintf("%s (%d covered in the cache)", describeSelection(*r), covered)},
		{"retention", fmt.Sprintf("%s (source: %s)", in.Policy.Normalized().String(), source)},
	}
	return jp
}

// missingJobError says whether the endpoint or only the job is unknown.
func missingJobError(s *store.Store, endpoint, id string) error {
	var jobs []string
	err := store.Each[store.BackupRoutine](s, endpoint, func(r *store.BackupRoutine) bool {
		jobs = append(jobs, r.JobID)
		return true
	})
	if err != nil {
		return err
	}
	if len(jobs) > 0 {
		return fmt.Errorf("endpoint %q has no backup job %q in the cache (cached jobs: %s)", endpoint, id, strings.Join(jobs, ", "))
	}
	known := map[string]bool{}
	for _, k := range []store.Kind{store.KindEndpoint, store.KindBackupRoutine, store.KindGuest} {
		names, err := s.Endpoints(k)
		if err != nil {
			return err
		}
		for _, n := range names {
			known[n] = true
		}
	}
	if known[endpoint] {
		return fmt.Errorf("endpoint %q has no backup job %q in the cache (it has no cached jobs)", endpoint, id)
	}
	names := make([]string, 0, len(known))
	for n := range known {
		names = append(names, n)
	}
	sort.Strings(names)
	list := "none"
	if len(names) > 0 {
		list = strings.Join(names, ", ")
	}
	return fmt.Errorf("unknown endpoint %q in cache %s (cached endpoints: %s)", endpoint, s.Path(), list)
}

// describeSelection says in words which guests a job selects.
func describeSelection(r store.BackupRoutine) string {
	var s string
	switch {
	case r.All && len(r.Exclude) > 0:
		s = "all except " + joinInts(r.Exclude)
	case r.All:
		s = "all"
	case r.Pool != "":
		s = "pool " + r.Pool
	case len(r.Selection) == 0:
		s = "no VMID"
	default:
		s = "VMID " + joinInts(r.Selection)
	}
	if r.Node != "" {
		s += " on node " + r.Node
	}
	return s
}

func joinInts(ns []int) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ", ")
}
