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

	"github.com/proxbox-tui/proxbox-tui/proxmox"
	"github.com/proxbox-tui/proxbox-tui/proxmox/prune"
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

Without --job, the backups are read from standard input as a JSON array:

  [{"volid": "nfs:backup/vzdump-qemu-100-2026_11_27-21_00_02.vma.zst",
    "ctime": 1795813202, "vmid": 100, "type": "qemu", "protected": false}]

volid, ctime (epoch seconds), vmid, type and protected are required. type is
qemu or lxc (or openvz and unknown, as Proxmox reports old and foreign
archives). The optional standard_name (true or false) overrides the check of
the file name against vzdump's naming scheme.

The policy is given by the --keep-* flags, or by --prune-backups in Proxmox's
property-string form; not both. With neither, or with no count above 0,
everything is kept, as in Proxmox.

Marking follows Proxmox: backups are grouped by type and VMID. Within a group,
newest first, the options apply in the order last, hourly, daily, weekly,
monthly, yearly; each keeps the newest backup of each period that no earlier
option kept a backup in, until it has kept its count of periods, and removes
the other backups of those periods. What no option keeps is removed. Periods
are computed in --tz, which should be the node's time zone (with --job it
defaults to the zone the job's nodes reported). Protected backups
are never counted nor removed ("protected"); backups whose file name is not
vzdump's are ignored ("renamed").

With --job ENDPOINT/JOBID, policy and backups come from the cache (--cache):
the job's effective retention (its own prune-backups, else its storage's, else
keep-all), over the cached backups on the job's storage of the guests the job
covers: its VMIDs, its pool's members, or with "all" every guest but the
excluded ones; only guests on the job's node when it names one.

Output: --format text prints a table (VOLID, MARK, REASON) and a line counting
each mark; with --job, the job, storage, guests and retention with its source
come first. --format json prints an array of {"volid", "mark", "reason"} with
mark one of keep, remove, protected, renamed. Rows are in input order; with
--job, by VMID and type, newest first.

Exit status: 0 on success; 1 when the input is not a valid backup list, or
the cache cannot be read or lacks the endpoint or job; 2 when a flag is
invalid or two flags conflict.`,
		Example: `  # what keep-last=3 and keep-daily=7 do to a list of backups
  proxbox-tui prune --keep-last 3 --keep-daily 7 --tz Europe/Vienna < backups.json

  # the same policy as Proxmox writes it, as JSON
  proxbox-tui prune --prune-backups keep-last=3,keep-daily=7 --format json < backups.json

  # a storage's backups as listed by Proxmox, converted with jq
  pvesh get /nodes/pve1/storage/nfs/content --content backup --output-format json |
    jq '[.[] | {volid, ctime, vmid: (.vmid // 0), type: (.subtype // "unknown"),
               protected: (.protected == 1)}]' |
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
				jp, err := a.loadJobPrune(endpoint, id)
				if err != nil {
					return err
				}
				for _, w := range jp.warnings {
					fmt.Fprintln(cmd.ErrOrStderr(), "warning:", textsafe.Line(w))
				}
				zoneFrom := "--tz"
				if !flags.Changed("tz") {
					loc, zoneFrom = proxmox.ZoneOrLocal(jp.zone), "the nodes' zone"
					if jp.zone == "" {
						zoneFrom = "local: the nodes' zone is not cached"
					}
				}
				header := append(jp.header, headerLine{"zone", loc.String() + " (" + zoneFrom + ")"})
				return write(header, prune.MarkBackups(jp.backups, jp.policy, loc))
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
			return write(nil, prune.MarkBackups(backups, opts, loc))
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

// decodeBackups reads the JSON array of backups, naming the index and field
// of the first problem.
func decodeBackups(r io.Reader) ([]prune.Backup, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("no input; want a JSON array of backups")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var items []json.RawMessage
	if err := dec.Decode(&items); err != nil {
		var syntax *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syntax):
			return nil, fmt.Errorf("invalid JSON at byte %d: %v", syntax.Offset, err)
		case errors.As(err, &typ):
			return nil, fmt.Errorf("want a JSON array of backups, got %s", jsonKind(data))
		case errors.Is(err, io.ErrUnexpectedEOF):
			return nil, errors.New("invalid JSON: input ends inside the array")
		}
		return nil, err
	}
	if items == nil {
		return nil, fmt.Errorf("want a JSON array of backups, got null")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("unexpected data after the array at byte %d", dec.InputOffset())
	}
	backups := make([]prune.Backup, len(items))
	for i, raw := range items {
		b, err := decodeBackup(i, raw)
		if err != nil {
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

// decodeBackup reads element i of the input array.
func decodeBackup(i int, raw json.RawMessage) (prune.Backup, error) {
	// All keys but standard_name are required.
	backupFields := []string{"volid", "ctime", "vmid", "type", "protected", "standard_name"}
	// The types Proxmox's prune reports: the guest types, the legacy openvz,
	// and unknown for files vzdump did not name.
	backupTypes := []string{"qemu", "lxc", "openvz", "unknown"}

	var b prune.Backup
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return b, &elementError{index: i, msg: "want an object, got " + jsonKind(raw)}
	}
	var unknown []string
	for k := range fields {
		if !slices.Contains(backupFields, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return b, &elementError{index: i, field: unknown[0], msg: "unknown field (known: " + strings.Join(backupFields, ", ") + ")"}
	}
	for _, key := range backupFields {
		v, ok := fields[key]
		if !ok {
			if key == "standard_name" {
				continue
			}
			return b, &elementError{index: i, field: key, msg: "missing"}
		}
		want := ""
		switch key {
		case "volid":
			if !isJSONString(v) || json.Unmarshal(v, &b.VolID) != nil || b.VolID == "" {
				want = "a non-empty string"
			}
		case "ctime":
			var err error
			if b.CTime, err = strconv.ParseInt(string(v), 10, 64); err != nil {
				want = "epoch seconds (a whole number)"
			}
		case "vmid":
			n, err := strconv.ParseInt(string(v), 10, 0)
			if err != nil || n < 0 {
				want = "a VMID (a whole number >= 0)"
			}
			b.VMID = int(n)
		case "type":
			if !isJSONString(v) || json.Unmarshal(v, &b.Type) != nil || !slices.Contains(backupTypes, b.Type) {
				want = quotedList(backupTypes)
			}
		case "protected":
			if !isJSONBool(v) || json.Unmarshal(v, &b.Protected) != nil {
				want = "true or false"
			}
		case "standard_name":
			var std bool
			if !isJSONBool(v) || json.Unmarshal(v, &std) != nil {
				want = "true or false"
			}
			b.StandardName = &std
		}
		if want != "" {
			return b, &elementError{index: i, field: key, msg: "want " + want + ", got " + shortJSON(v)}
		}
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

// jobPrune is what --job prunes: a cached job's policy and backups.
type jobPrune struct {
	policy   prune.Options
	backups  []prune.Backup
	header   []headerLine
	warnings []string
	zone     string // the nodes' zone, as cached
}

// loadJobPrune reads a backup job, the guests it covers and their backups
// on its storage from the cache.
func (a *app) loadJobPrune(endpoint, id string) (*jobPrune, error) {
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
	guests, err := store.List[store.Guest](s, endpoint)
	if err != nil {
		return nil, err
	}
	covered, missing := coveredGuests(routine, guests)

	jp := &jobPrune{policy: routinePolicy(routine)}
	if len(missing) > 0 {
		jp.warnings = append(jp.warnings, fmt.Sprintf("job %s/%s selects VMID %s, not among the cached guests of %s",
			endpoint, id, joinInts(missing), endpoint))
	}
	err = store.Each[store.Backup](s, endpoint, func(b *store.Backup) bool {
		if b.Storage == routine.Storage && covered[store.GuestKey(b.Subtype, b.VMID)] {
			jp.backups = append(jp.backups, prune.Backup{
				VolID: b.VolumeID, CTime: b.CreationTime.Unix(), VMID: b.VMID, Type: b.Subtype, Protected: b.Protected,
			})
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(jp.backups, func(i, j int) bool {
		x, y := jp.backups[i], jp.backups[j]
		if x.VMID != y.VMID {
			return x.VMID < y.VMID
		}
		if x.Type != y.Type {
			return x.Type < y.Type
		}
		return x.CTime > y.CTime
	})

	var notes []string
	if !routine.Enabled {
		notes = append(notes, "disabled")
	}
	if routine.Status == store.StatusStale {
		notes = append(notes, "stale: no longer in Proxmox at the last refresh")
	}
	state := ""
	if len(notes) > 0 {
		state = " (" + strings.Join(notes, "; ") + ")"
	}
	source := routine.RetentionSource
	if source == "" {
		source = "unknown"
	}
	if ep, ok, _ := store.Get[store.Endpoint](s, endpoint, endpoint); ok {
		jp.zone = ep.TimeZone
	}
	jp.header = []headerLine{
		{"job", endpoint + "/" + id + state},
		{"storage", routine.Storage},
		{"guests", fmt.Sprintf("%s (%d covered in the cache)", describeSelection(routine), len(covered))},
		{"retention", fmt.Sprintf("%s (source: %s)", jp.policy.Normalized().String(), source)},
	}
	return jp, nil
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

// coveredGuests returns the keys ("qemu/100") of the guests a backup job
// backs up, selected as vzdump does: every guest but the excluded ones when
// the job is for all, else the members of its pool, else its VMIDs; only
// those on the job's node when it names one. missing lists selected VMIDs
// that no cached guest has.
func coveredGuests(r store.BackupRoutine, guests []store.Guest) (covered map[string]bool, missing []int) {
	covered = map[string]bool{}
	present := map[int]bool{}
	for _, g := range guests {
		present[g.VMID] = true
		var selected bool
		switch {
		case r.All:
			selected = !slices.Contains(r.Exclude, g.VMID)
		case r.Pool != "":
			selected = g.Pool == r.Pool
		default:
			selected = slices.Contains(r.Selection, g.VMID)
		}
		if selected && (r.Node == "" || g.Node == r.Node) {
			covered[store.GuestKey(g.Type, g.VMID)] = true
		}
	}
	if !r.All && r.Pool == "" {
		for _, id := range r.Selection {
			if !present[id] {
				missing = append(missing, id)
			}
		}
	}
	return covered, missing
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

// routinePolicy is the retention stored with a routine: the effective policy,
// already resolved from the job, its storage or the default.
func routinePolicy(r store.BackupRoutine) prune.Options {
	n := func(p *int) int {
		if p == nil {
			return 0
		}
		return *p
	}
	return prune.Options{
		KeepAll:     r.KeepAll != nil && *r.KeepAll,
		KeepLast:    n(r.KeepLast),
		KeepHourly:  n(r.KeepHourly),
		KeepDaily:   n(r.KeepDaily),
		KeepWeekly:  n(r.KeepWeekly),
		KeepMonthly: n(r.KeepMonthly),
		KeepYearly:  n(r.KeepYearly),
	}
}
