package main

import (
	"bufio"
	"errors"
	"fmt"
	"strconv"
	"time"
	_ "time/tzdata" // --tz takes IANA names on hosts without a zone database too

	"github.com/proxbox-tui/proxbox-tui/proxmox/calendar"
	"github.com/spf13/cobra"
)

// rfc3339Offset is RFC 3339 with a numeric offset even in UTC ("+00:00",
// never "Z"), so every line shows the offset of the zone it is in.
const rfc3339Offset = "2006-01-02T15:04:05-07:00"

func (a *app) scheduleCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "schedule",
		Short: "Evaluate Proxmox calendar events (backup and replication schedules)",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return &exitError{code: 2, msg: fmt.Sprintf("unknown command %q for %q (see --help)", args[0], cmd.CommandPath())}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.SetFlagErrorFunc(usageError)
	cmd.AddCommand(a.scheduleNextCommand())
	return cmd
}

func (a *app) scheduleNextCommand() *cobra.Command {
	var (
		from  instantValue
		zone  zoneValue
		count = 1
	)
	cmd := &cobra.Command{
		Use:   "next EXPR",
		Short: "Print the next occurrences of a Proxmox calendar event",
		Long: `Print the next occurrences of a Proxmox VE calendar event, the schedule format
of backup jobs and storage replication, computed as Proxmox computes them.

EXPR is in Proxmox's dialect. It looks like systemd's OnCalendar but differs:

  - A lone number or list is a minute: "*/15" is every 15 minutes, and
    "mon..fri 22" is xx:22 of every hour on workdays ("mon..fri 22:00" is
    22:00).
  - Weekday ranges wrap: "fri..mon" is Friday to Monday.
  - Keywords (minutely, hourly, daily, weekly, monthly, yearly, quarterly,
    semiannually) stand alone.
  - A trailing "UTC" evaluates the event in UTC instead of the node's zone.

Quote EXPR: it usually holds spaces or '*'. Put "--" before an EXPR that
starts with '-'.

Each line is the first occurrence strictly after the one before it (the first
after --from), in RFC 3339 with the numeric UTC offset of --tz. Set --tz to
the node's time zone to see what Proxmox does there across daylight saving
changes: a run inside the spring-forward gap moves by the length of the gap,
so "2:30" is skipped on that day. When there is no further occurrence, the
line is "never" and the output stops.

Exit status: 0 on success; 2 when EXPR or a flag is invalid (the message
then starts with "invalid schedule" or names the flag and its value).`,
		Example: `  # next run of a nightly backup job, in the node's zone
  proxbox-tui schedule next '21:00' --tz Europe/Vienna

  # the next five runs of a replication job (default schedule) from a given time
  proxbox-tui schedule next '*/15' --from 2026-11-28T07:00:00+01:00 --count 5

  # workdays at 22:00 from epoch seconds, in UTC
  proxbox-tui schedule next 'mon..fri 22:00' --from 1795849200 --tz UTC`,
		Args: exactArgs("EXPR"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ev, err := calendar.Parse(args[0])
			if err != nil {
				var pe *calendar.ParseError
				if errors.As(err, &pe) {
					return &exitError{code: 2, msg: pe.Error()}
				}
				return &exitError{code: 2, msg: fmt.Sprintf("invalid schedule %q: %v", args[0], err)}
			}
			after := time.Now()
			if from.set {
				after = from.t
			}
			loc := zone.location()
			out := bufio.NewWriter(cmd.OutOrStdout())
			for range count {
				next, ok := ev.Next(after, loc)
				if !ok {
					fmt.Fprintln(out, "never")
					break
				}
				fmt.Fprintln(out, next.Format(rfc3339Offset))
				after = next
			}
			return out.Flush()
		},
	}
	f := cmd.Flags()
	f.Var(&from, "from", "start after `TIME`: epoch seconds or RFC 3339 (default now)")
	f.Var(&zone, "tz", "evaluate and print in time `ZONE`, an IANA name (default local)")
	f.Var(boundedInt{&count, 1}, "count", "print `N` occurrences")
	cmd.SetFlagErrorFunc(usageError)
	return cmd
}

// usageError gives flag problems exit status 2; the flag package's message
// names the flag and the value.
func usageError(_ *cobra.Command, err error) error {
	return &exitError{code: 2, msg: err.Error()}
}

// exactArgs accepts exactly one positional argument, called name in the
// message, and fails with exit status 2 otherwise.
func exactArgs(name string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == 1 {
			return nil
		}
		return &exitError{code: 2, msg: fmt.Sprintf("%s: want exactly one %s (quote it if it contains spaces), got %d arguments", cmd.CommandPath(), name, len(args))}
	}
}

// noArgs rejects positional arguments with exit status 2.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	return &exitError{code: 2, msg: fmt.Sprintf("%s: unexpected argument %q", cmd.CommandPath(), args[0])}
}

// boundedInt is an integer flag with a lower bound.
type boundedInt struct {
	p   *int
	min int
}

func (v boundedInt) String() string {
	if v.p == nil {
		return ""
	}
	return strconv.Itoa(*v.p)
}

func (v boundedInt) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil || n < v.min {
		return fmt.Errorf("want a whole number >= %d", v.min)
	}
	*v.p = n
	return nil
}

func (boundedInt) Type() string { return "N" }

// zoneValue is a --tz flag: an IANA zone name, the local zone when not given.
type zoneValue struct{ loc *time.Location }

func (z *zoneValue) String() string {
	if z.loc == nil {
		return ""
	}
	return z.loc.String()
}

func (z *zoneValue) Set(s string) error {
	loc, err := time.LoadLocation(s)
	if s == "" || err != nil {
		return errors.New("unknown time zone (want an IANA name such as Europe/Vienna)")
	}
	z.loc = loc
	return nil
}

func (*zoneValue) Type() string { return "ZONE" }

func (z *zoneValue) location() *time.Location {
	if z.loc == nil {
		return time.Local
	}
	return z.loc
}

// instantValue is a --from flag: epoch seconds or an RFC 3339 time.
type instantValue struct {
	t   time.Time
	set bool
}

func (v *instantValue) String() string {
	if !v.set {
		return ""
	}
	return v.t.Format(time.RFC3339)
}

func (v *instantValue) Set(s string) error {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		v.t, v.set = time.Unix(n, 0), true
		return nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return errors.New("want epoch seconds or an RFC 3339 time such as 2026-11-28T07:00:00+01:00")
	}
	v.t, v.set = t, true
	return nil
}

func (*instantValue) Type() string { return "TIME" }
