package main

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"reflect"

	"github.com/proxbox-tui/proxbox-tui/store"
	"github.com/proxbox-tui/proxbox-tui/textsafe"
)

// isAddressView reports whether an export names the addresses view: the
// IP addresses of the cached interfaces, one row each.
func isAddressView(s string) bool {
	switch s {
	case "addresses", "address", "ips", "ip-addresses":
		return true
	}
	return false
}

// exportAddresses writes every address of the cached interfaces (node and
// guest), with the interface it is on and where it came from.
func exportAddresses(w io.Writer, st *store.Store, endpoint, format string) error {
	var rows []store.Address
	err := store.Each(st, endpoint, func(i *store.Interface) bool {
		rows = append(rows, i.AddressRows()...)
		return true
	})
	if err != nil {
		return err
	}
	if format == "csv" {
		header := jsonFieldNames(reflect.TypeFor[store.Address]())
		cw := csv.NewWriter(w)
		if err := cw.Write(header); err != nil {
			return err
		}
		for _, r := range rows {
			var fields map[string]json.RawMessage
			if err := json.Unmarshal(textsafe.Marshal(r), &fields); err != nil {
				return err
			}
			row := make([]string, len(header))
			for i, name := range header {
				row[i] = textsafe.Escape(csvCell(fields[name]))
			}
			if err := cw.Write(row); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	}
	if _, err := io.WriteString(w, "["); err != nil {
		return err
	}
	for i, r := range rows {
		sep := ",\n"
		if i == 0 {
			sep = "\n"
		}
		if _, err := io.WriteString(w, sep+string(textsafe.Marshal(r))); err != nil {
			return err
		}
	}
	tail := "\n]\n"
	if len(rows) == 0 {
		tail = "]\n"
	}
	_, err = io.WriteString(w, tail)
	return err
}
