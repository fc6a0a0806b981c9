package proxmox

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/proxbox-tui/proxbox-tui/store"
)

// What a 200 may say. A refresh replaces a scope's cached rows with what an
// answer lists, so an answer is taken only if it is one its path gives: a
// body that is JSON but not such an answer fails its scope like a 500 does
// (the rows stay, the scope is listed as stale with the reason), it never
// reads as "nothing there".
//
// Every path answers {"data": ...}. The client refuses, on every path, a
// body without "data" ({}), "data": null, and data of the wrong kind (an
// object where a list belongs, a list where an object belongs). Then, per
// path the collector reads:
//
//	path                                     data    an empty list means             each item needs         and the answer needs
//	/version                                 object  -                               -                       version
//	/access/permissions                      object  - ({} is real: no privilege)    -                       each path's privileges as an object
//	/cluster/status                          list    invalid: a cluster has nodes    type; name (node, cluster) a node entry
//	/cluster/resources                       list    invalid: a cluster has nodes    type, id; node (node);   a node entry
//	                                                                                 vmid, node (qemu, lxc);
//	                                                                                 storage, node (storage)
//	/nodes                                   list    invalid: the node answering     node                    an item
//	/storage                                 list    real: every storage removed     storage, type           -
//	/cluster/replication                     list    real: no replication job        id                      -
//	/cluster/backup                          list    real: no backup job             id                      -
//	/cluster/backup-info/not-backed-up       list    real: every guest is in a job   vmid, type              -
//	/nodes/{node}/time                       object  -                               -                       timezone
//	/nodes/{node}/tasks                      list    real: no task since the last    upid                    -
//	/nodes/{node}/replication                list    real: no job on the node        id                      -
//	/nodes/{node}/storage/{storage}/content  list    real: an empty storage          volid                   -
//	/nodes/{node}/{qemu|lxc}/{vmid}/snapshot list    invalid: "current" is listed    name                    the "current" entry
//	/nodes/{node}/network                    list    invalid: a node has interfaces  iface                   -
//	/nodes/{node}/{qemu|lxc}/{vmid}/config   object  -                               -                       digest
//
// What a guest reports (…/agent/network-get-interfaces, …/agent/get-host-name,
// …/lxc/{vmid}/interfaces) is no scope of its own: an answer that is not
// one reads as the agent's error state, and the guest keeps the addresses
// it reported last (see network.go).
//
// An item that is not an object ([null], [1]) or lacks an identity the
// table names (absent, null or empty: [{}], a volume without volid, a
// guest without vmid) makes the whole answer invalid: Proxmox sends no
// such item, and a list holding one cannot be told from a mangled one, so
// it is no evidence of what is gone. An item whose identity is there but
// longer than store.MaxKeyBytes (a 10 MB volid), or whose record would
// exceed store.MaxValueBytes, is dropped: the rest of the answer is
// written, the drop is counted under its scope in the cycle's Result, its
// SyncRun and the endpoint's health, and a row cached for it earlier
// stays. The cluster's own name and the fields of the object answers are
// not items: one over the bound invalidates its answer.

// onLong says what an identity over store.MaxKeyBytes does.
type onLong int

const (
	dropItem      onLong = iota // the item is dropped and counted
	invalidAnswer               // the answer is invalid
	keepItem                    // the identity is not used: the item stays
)

// ident is one identity of an item: the field Proxmox names it by, and its
// value as text ("" when absent, null, empty, or a vmid of 0).
type ident struct{ field, value string }

// itemRule is what one item of a list answer must carry, and where its
// drop is counted.
type itemRule struct {
	ids   []ident
	long  onLong
	kind  store.Kind
	scope string
}

// checkItems applies the table's item rules to a list answer of path: an
// item without an identity makes the answer invalid; one with an
// identity over the bound is dropped or, as its rule says, invalidates
// the answer or stays. Then each whole-answer check runs on the items
// kept ("" when the answer passes, else why not). Drops are counted
// (cy.drop) only for an answer that passes.
func checkItems[T any](cy *cycle, path string, items []T, rule func(*T) itemRule, whole ...func([]T) string) ([]T, error) {
	type dropped struct {
		kind          store.Kind
		scope, reason string
	}
	var drops []dropped
	out := items[:0]
	for i := range items {
		r := rule(&items[i])
		drop := ""
		for _, id := range r.ids {
			if id.value == "" {
				return nil, invalidItem(cy.ep, path, fmt.Sprintf("item %d of %d has no %s", i+1, len(items), id.field))
			}
			if len(id.value) > store.MaxKeyBytes && drop == "" {
				drop = fmt.Sprintf("%s of %d bytes exceeds %d", id.field, len(id.value), store.MaxKeyBytes)
			}
		}
		if drop != "" {
			switch r.long {
			case dropItem:
				drops = append(drops, dropped{r.kind, r.scope, drop})
				continue
			case invalidAnswer:
				return nil, invalidItem(cy.ep, path, fmt.Sprintf("item %d of %d: %s", i+1, len(items), drop))
			}
		}
		out = append(out, items[i])
	}
	for _, check := range whole {
		if why := check(out); why != "" {
			return nil, invalidItem(cy.ep, path, why)
		}
	}
	for _, d := range drops {
		cy.drop(d.kind, d.scope, path, d.reason)
	}
	return out, nil
}

func invalidItem(ep, path, reason string) error {
	return &InvalidAnswerError{Endpoint: ep, Method: "GET", Path: path, Reason: reason}
}

func vmidText(v FlexInt) string {
	if v <= 0 {
		return ""
	}
	return strconv.FormatInt(int64(v), 10)
}

func statusRule(it *wireClusterStatus) itemRule {
	switch it.Type {
	case "node":
		return itemRule{ids: []ident{{"type", it.Type}, {"name", it.Name}}, kind: store.KindNode, scope: "resources"}
	case "cluster":
		return itemRule{ids: []ident{{"type", it.Type}, {"name", it.Name}}, long: invalidAnswer}
	}
	return itemRule{ids: []ident{{"type", it.Type}}, long: keepItem}
}

func resourceRule(it *wireResource) itemRule {
	base := []ident{{"type", it.Type}, {"id", it.ID}}
	switch it.Type {
	case "node":
		return itemRule{ids: append(base, ident{"node", it.Node}), kind: store.KindNode, scope: "resources"}
	case "qemu", "lxc":
		return itemRule{ids: append(base, ident{"vmid", vmidText(it.VMID)}, ident{"node", it.Node}), kind: store.KindGuest, scope: "resources"}
	case "storage":
		return itemRule{ids: append(base, ident{"storage", it.Storage}, ident{"node", it.Node}), kind: store.KindStorage, scope: "config"}
	}
	return itemRule{ids: base, long: keepItem} // pools, SDN zones: not read
}

// checkStatus checks GET /cluster/status.
func (cy *cycle) checkStatus(path string, items []wireClusterStatus) ([]wireClusterStatus, error) {
	return checkItems(cy, path, items, statusRule, listing(func(s *wireClusterStatus) string { return s.Type }, "node", "no node entry"))
}

// checkResources checks GET /cluster/resources.
func (cy *cycle) checkResources(path string, items []wireResource) ([]wireResource, error) {
	return checkItems(cy, path, items, resourceRule, listing(func(r *wireResource) string { return r.Type }, "node", "no node entry"))
}

// listing is a whole-answer check: an item whose field is want.
func listing[T any](field func(*T) string, want, why string) func([]T) string {
	return func(items []T) string {
		for i := range items {
			if field(&items[i]) == want {
				return ""
			}
		}
		return why
	}
}

// checkNodes checks GET /nodes.
func (cy *cycle) checkNodes(path string, items []wireNode) ([]wireNode, error) {
	return checkItems(cy, path, items, func(n *wireNode) itemRule {
		return itemRule{ids: []ident{{"node", n.Node}}, kind: store.KindNode, scope: "resources"}
	}, func(items []wireNode) string {
		if len(items) == 0 {
			return "no node"
		}
		return ""
	})
}

// checkSnapshots checks a guest's snapshot list: Proxmox lists the
// "current" state first of all.
func (cy *cycle) checkSnapshots(path, scope string, items []wireSnapshot) ([]wireSnapshot, error) {
	return checkItems(cy, path, items, func(s *wireSnapshot) itemRule {
		return itemRule{ids: []ident{{"name", s.Name}}, kind: store.KindSnapshot, scope: scope}
	}, listing(func(s *wireSnapshot) string { return s.Name }, "current", `no "current" entry`))
}

// checkVersion checks GET /version.
func checkVersion(ep, path string, v *wireVersion) error {
	if v.Version == "" {
		return invalidItem(ep, path, "no version")
	}
	for _, f := range []ident{{"version", v.Version}, {"release", v.Release}, {"repoid", v.RepoID}} {
		if len(f.value) > store.MaxKeyBytes {
			return invalidItem(ep, path, fmt.Sprintf("%s of %d bytes exceeds %d", f.field, len(f.value), store.MaxKeyBytes))
		}
	}
	return nil
}

// checkTime checks GET /nodes/{node}/time.
func checkTime(ep, path string, t *wireNodeTime) error {
	switch {
	case t.TimeZone == "":
		return invalidItem(ep, path, "no timezone")
	case len(t.TimeZone) > store.MaxKeyBytes:
		return invalidItem(ep, path, fmt.Sprintf("timezone of %d bytes exceeds %d", len(t.TimeZone), store.MaxKeyBytes))
	}
	return nil
}

// checkPermissions checks GET /access/permissions.
func checkPermissions(ep, path string, p permissions) error {
	for acl, privs := range p {
		if privs == nil {
			return invalidItem(ep, path, fmt.Sprintf("path %q has no privileges object", clipText(acl, 64)))
		}
	}
	return nil
}

// rawItem is a list item decoded into T, with its JSON as sent (for the
// raw_config fields).
type rawItem[T any] struct {
	v   T
	raw json.RawMessage
}

func (r *rawItem[T]) UnmarshalJSON(b []byte) error {
	r.raw = append(json.RawMessage(nil), b...)
	return json.Unmarshal(b, &r.v)
}

// splitRaw returns the typed items and their JSON.
func splitRaw[T any](items []rawItem[T]) ([]T, []json.RawMessage) {
	vs, raws := make([]T, len(items)), make([]json.RawMessage, len(items))
	for i, it := range items {
		vs[i], raws[i] = it.v, it.raw
	}
	return vs, raws
}
