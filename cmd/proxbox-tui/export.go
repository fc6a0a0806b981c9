package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/spf13/cobra"

	"github.com/proxbox-tui/proxbox-tui/store"
	"github.com/proxbox-tui/proxbox-tui/textsafe"
)

func (a *app) exportCommand() *cobra.Command {
	var format, endpoint string
	cmd := &cobra.Command{
		Use:   "export KIND [--format json|csv] [--endpoint NAME]",
		Short: "Print the cached records of one kind as JSON or CSV",
		Long: `Prints the cached records of KIND: endpoints, nodes, guests, interfaces,
storage, backups, snapshots, tasks, routines, replication (and syncruns,
netboxlinks), or addresses: one row per IP address of an interface. Field
names are the store's JSON names, which follow the netbox-proxbox plugin's
(volume_id, creation_time, job_id, keep_last, replication_id, upid, ...);
every record has endpoint and fetched_at; times are RFC 3339.

JSON is an array of objects. CSV has one header row with the same names;
lists and objects appear as JSON in their cell. Reads only the cache: run
"proxbox-tui refresh" first to fill it.

Values keep what Proxmox sent, made safe for a terminal: in JSON, control
and format characters (ESC, C1 controls, bidi overrides such as U+202E) are
\u escapes and each byte that was not UTF-8 is \ufffd; in CSV they are Go
escapes (\x1b, \u009b, \u202e; tabs and newlines stay) and an invalid
byte is U+FFFD. A time JSON cannot hold (a timestamp of 1e30) or a number
that is not finite is the string "invalid".`,
		Example: `  proxbox-tui export backups
  proxbox-tui export routines --format csv --endpoint lab > routines.csv
  proxbox-tui export addresses --format csv
  proxbox-tui export tasks | jq '.[] | select(.state == "error") | .upid'`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			view := isAddressView(args[0])
			kind, err := store.ParseKind(args[0])
			if view {
				kind, err = store.KindInterface, nil
			}
			if err != nil {
				return &exitError{code: 2, msg: "proxbox-tui: " + err.Error()}
			}
			if format != "json" && format != "csv" {
				return &exitError{code: 2, msg: fmt.Sprintf("proxbox-tui: --format %q: want json or csv", format)}
			}
			paths, err := a.paths()
			if err != nil {
				return err
			}
			if a.cachePath == "" { // the config may name another cache
				if cfg, _, err := LoadConfig(paths.ConfigFile, LoadOptions{Getenv: a.getenv}); err == nil && cfg.Cache != "" {
					paths.CacheFile = cfg.Cache
				}
			}
			st, err := a.openStore(paths.CacheFile, "export")
			if err != nil {
				return err
			}
			defer a.closeStore(st)
			if view {
				return exportAddresses(a.stdout, st, endpoint, format)
			}
			if format == "csv" {
				return exportCSV(a.stdout, st, kind, endpoint)
			}
			return exportJSON(a.stdout, st, kind, endpoint)
		},
	}
	cmd.Flags().StringVar(&format, "format", "json", "json or csv")
	cmd.Flags().StringVar(&endpoint, "endpoint", "", "only this endpoint's records")
	return cmd
}

func exportJSON(w io.Writer, st *store.Store, kind store.Kind, endpoint string) error {
	if _, err := io.WriteString(w, "["); err != nil {
		return err
	}
	first := true
	var werr error
	err := st.EachRecord(kind, endpoint, func(r store.Record) bool {
		b := textsafe.Marshal(r)
		sep := ",\n"
		if first {
			sep, first = "\n", false
		}
		_, werr = io.WriteString(w, sep+string(b))
		return werr == nil
	})
	if err != nil {
		return err
	}
	if werr != nil {
		return werr
	}
	tail := "\n]\n"
	if first {
		tail = "]\n"
	}
	_, err = io.WriteString(w, tail)
	return err
}

func exportCSV(w io.Writer, st *store.Store, kind store.Kind, endpoint string) error {
	zero, err := store.New(kind)
	if err != nil {
		return err
	}
	header := jsonFieldNames(reflect.TypeOf(zero).Elem())
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return err
	}
	var werr error
	err = st.EachRecord(kind, endpoint, func(r store.Record) bool {
		var fields map[string]json.RawMessage
		if werr = json.Unmarshal(textsafe.Marshal(r), &fields); werr != nil {
			return false
		}
		row := make([]string, len(header))
		for i, name := range header {
			row[i] = textsafe.Escape(csvCell(fields[name]))
		}
		werr = cw.Write(row)
		return werr == nil
	})
	if err != nil {
		return err
	}
	if werr != nil {
		return werr
	}
	cw.Flush()
	return cw.Error()
}

// csvCell writes strings bare, null and absent as empty, anything else as
// its JSON (already escaped by textsafe.Marshal).
func csvCell(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if raw[0] == '"' && json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// jsonFieldNames lists a struct's JSON names in declaration order,
// including those of embedded structs.
func jsonFieldNames(t reflect.Type) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			out = append(out, jsonFieldNames(f.Type)...)
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, name)
	}
	return out
}
