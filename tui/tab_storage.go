package tui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/proxbox-tui/proxbox-tui/store"
	"github.com/proxbox-tui/proxbox-tui/tui/dataset"
	"github.com/proxbox-tui/proxbox-tui/tui/doc"
	"github.com/proxbox-tui/proxbox-tui/tui/format"
	"github.com/proxbox-tui/proxbox-tui/tui/style"
)

const (
	stoEndpoint = iota
	stoName
	stoType
	stoContent
	stoShared
	stoNodes
	stoUsage
	stoEnabled
	stoPrune
)

func storageTab() *tabSpec {
	return &tabSpec{
		id:    tabStorage,
		kinds: []store.Kind{store.KindStorage},
		cols: []dataset.Column{
			{Title: "Endpoint", Min: 6, Max: 16, Rank: 2},
			{Title: "Storage", Min: 6, Max: 24, Aliases: []string{"name"}, Rank: 1},
			{Title: "Type", Min: 4, Max: 10, Rank: 4},
			{Title: "Content", Min: 7, Max: 28, Rank: 5},
			{Title: "Shared", Min: 6, Rank: 7},
			{Title: "Nodes", Min: 5, Max: 24, Aliases: []string{"node"}, Rank: 8},
			{Title: "Usage", Kind: dataset.Number, Min: 15, Rank: 1},
			{Title: "Enabled", Min: 7, Rank: 6},
			{Title: "Prune-backups", Min: 8, Max: 48, Flex: true, Aliases: []string{"prune", "retention"}, Rank: 3},
		},
		sort:   dataset.SortSpec{Col: -1},
		load:   loadStorage,
		detail: storageDetail,
		raw: func(s *store.Store, r dataset.Ref) (any, bool, error) {
			return anyRecord(store.Get[store.Storage](s, r.Endpoint, r.Key))
		},
	}
}

// storageUsage sums a storage's usage: a shared storage reports the same
// pool on every node, so it counts once.
func storageUsage(s *store.Storage) (used, total int64) {
	for _, u := range s.Usage {
		if !u.Active && u.Total == 0 {
			continue
		}
		if s.Shared {
			return u.Used, u.Total
		}
		used += u.Used
		total += u.Total
	}
	return used, total
}

// usageBar draws "███████░░░  70%" ten cells wide.
func usageBar(used, total int64) (string, int64, style.ID) {
	if total <= 0 {
		return "—", -1, style.Dim
	}
	pct := float64(used) / float64(total) * 100
	filled := min(max(int(pct/10+0.5), 0), 10)
	st := style.OK
	switch {
	case pct >= 90:
		st = style.Error
	case pct >= 75:
		st = style.Warn
	}
	return strings.Repeat("█", filled) + strings.Repeat("░", 10-filled) + fmt.Sprintf(" %3.0f%%", pct), int64(pct * 10), st
}

func storageRow(s *store.Storage, stale bool, r *dataset.RowBuf) {
	r.Endpoint, r.Key = s.Endpoint, s.Name
	r.Set(stoEndpoint, format.Clean(s.Endpoint), style.Inherit)
	r.Set(stoName, format.Clean(s.Name), style.Bold)
	r.Set(stoType, format.Clean(s.StorageType), style.Inherit)
	r.Set(stoContent, format.Clean(s.Content), style.Inherit)
	r.Set(stoShared, format.YesNo(s.Shared), style.Inherit)
	nodes := s.Nodes
	if nodes == "" {
		nodes = "all"
	}
	r.Set(stoNodes, format.Clean(nodes), style.Inherit)
	bar, v, st := usageBar(storageUsage(s))
	r.Num(stoUsage, bar, v, st)
	if s.Enabled {
		r.Set(stoEnabled, "yes", style.Inherit)
	} else {
		r.Set(stoEnabled, "no", style.Disabled)
		r.Row = style.Disabled
	}
	prune := s.PruneBackups
	if prune == "" {
		prune = "—"
	}
	r.Set(stoPrune, format.Clean(prune), style.Inherit)
	if stale {
		r.Row = style.Stale
	}
}

func loadStorage(env loadEnv) (*dataset.Dataset, error) {
	list, err := store.List[store.Storage](env.c.store, "")
	if err != nil {
		return nil, err
	}
	return dataset.Build(env.cols, len(list), func(i int, r *dataset.RowBuf) {
		s := &list[i]
		storageRow(s, env.c.isStale(s.Meta, tierSlow, env.now), r)
	}), nil
}

func storageDetail(env loadEnv, ref dataset.Ref) (doc.Doc, error) {
	s, ok, err := store.Get[store.Storage](env.c.store, ref.Endpoint, ref.Key)
	if err != nil || !ok {
		return doc.Doc{}, notCached(err, ok)
	}
	d := doc.Doc{Title: "Storage " + format.Clean(s.Name) + " on " + format.Clean(s.Endpoint)}
	d.Heading("Storage")
	d.KV("type", s.StorageType)
	d.KV("content", s.Content)
	d.KV("shared", format.YesNo(s.Shared))
	d.KV("enabled", format.YesNo(s.Enabled))
	d.KV("nodes", format.OrDash(s.Nodes))
	d.KV("prune-backups", format.OrDash(s.PruneBackups))
	if s.MaxProtectedBackups != nil {
		d.KV("max protected", strconv.Itoa(*s.MaxProtectedBackups))
	}
	for _, kv := range [][2]string{{"path", s.Path}, {"server", s.Server}, {"export", s.Export}, {"share", s.Share},
		{"pool", s.Pool}, {"datastore", s.Datastore}, {"namespace", s.Namespace}} {
		if kv[1] != "" {
			d.KV(kv[0], kv[1])
		}
	}

	d.Heading("Usage per node")
	var rows [][]string
	var sts []style.ID
	for _, u := range s.Usage {
		bar, _, st := usageBar(u.Used, u.Total)
		state := "active"
		if !u.Active {
			state, st = "inactive", style.Dim
		}
		rows = append(rows, []string{u.Node, state, format.Bytes(u.Used), format.Bytes(u.Total), bar})
		sts = append(sts, st)
	}
	d.Table([]string{"node", "state", "used", "total", "usage"}, rows, sts)

	count, size, protected := 0, int64(0), 0
	err = store.Each[store.Backup](env.c.store, s.Endpoint, func(b *store.Backup) bool {
		if b.Storage == s.Name {
			count++
			size += b.Size
			if b.Protected {
				protected++
			}
		}
		return true
	})
	if err != nil {
		return d, err
	}
	d.Heading("Backups on it")
	d.KV("count", fmt.Sprintf("%d (%d protected)", count, protected))
	d.KV("size", format.Bytes(size))

	if len(s.RawConfig) > 0 {
		d.Heading("Raw config")
		var buf bytes.Buffer
		if json.Indent(&buf, s.RawConfig, "  ", "  ") == nil {
			d.Para("  "+buf.String(), style.Plain)
		}
	}
	return d, nil
}

// notCached turns a missing record into the error a detail pane shows.
func notCached(err error, ok bool) error {
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("the record is no longer in the cache (removed by a refresh)")
	}
	return nil
}
