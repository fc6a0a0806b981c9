package netbox

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/proxbox-tui/proxbox-tui/store"
)

// record writes the push into the cache: the NetBoxLinks of every object
// whose NetBox id or payload changed, and one SyncRun per endpoint.
func (ap *apply) record(res *Result, now time.Time) error {
	var recs []store.Record
	stale := map[string][]string{} // endpoint -> link keys of deleted objects
	var byObject map[string][]string
	for _, act := range ap.plan.Actions {
		d := act.d
		if d == nil || d.link == nil {
			if act.Op == OpDelete && ap.outcome[act] == OpDelete {
				if byObject == nil {
					byObject = map[string][]string{}
					for k, l := range ap.plan.links {
						obj := l.NetBoxType + "#" + strconv.FormatInt(l.NetBoxID, 10)
						byObject[obj] = append(byObject[obj], k)
					}
				}
				for _, k := range byObject[specOf(act.Kind).model+"#"+strconv.FormatInt(act.ID, 10)] {
					ep, key, _ := strings.Cut(k, "\x00")
					stale[ep] = append(stale[ep], key)
				}
			}
			continue
		}
		op := act.Op
		if o, ok := ap.outcome[act]; ok {
			op = o
		}
		if op != OpCreate && op != OpUpdate && op != OpStale && op != OpUnchanged {
			continue
		}
		id := act.ID
		if id == 0 {
			continue
		}
		link := store.NetBoxLink{Meta: store.Meta{Endpoint: d.link.endpoint, FetchedAt: now.UTC()},
			ObjectKind: d.link.kind, ObjectKey: d.link.key, NetBoxType: specOf(d.kind).model, NetBoxID: id,
			PayloadHash: payloadHash(d)}
		if old, ok := ap.plan.links[d.link.endpoint+"\x00"+link.RecordKey()]; ok &&
			old.NetBoxID == link.NetBoxID && old.PayloadHash == link.PayloadHash && old.NetBoxType == link.NetBoxType {
			continue
		}
		recs = append(recs, &link)
	}
	sort.Slice(recs, func(i, j int) bool {
		a, b := recs[i].(*store.NetBoxLink), recs[j].(*store.NetBoxLink)
		if a.Endpoint != b.Endpoint {
			return a.Endpoint < b.Endpoint
		}
		return a.RecordKey() < b.RecordKey()
	})
	recs = append(recs, ap.syncRuns(res)...)
	if err := ap.a.st.Put(recs...); err != nil {
		return err
	}
	for ep, keys := range stale {
		if err := ap.a.st.Delete(store.KindNetBoxLink, ep, keys...); err != nil {
			return err
		}
	}
	return nil
}

// syncRuns are one SyncRun per endpoint pushed, counting that endpoint's
// objects (shared ones, such as tags, count in every run).
func (ap *apply) syncRuns(res *Result) []store.Record {
	var out []store.Record
	summary, _ := json.Marshal(ap.plan.Kinds)
	scope := "all"
	if s := ap.plan.Scope; len(s.Kinds) > 0 || len(s.Keys) > 0 {
		var parts []string
		for _, k := range s.Kinds {
			parts = append(parts, string(k))
		}
		for k := range s.Keys {
			parts = append(parts, "selected "+string(k))
		}
		sort.Strings(parts)
		scope = strings.Join(parts, ",")
	}
	for _, ep := range ap.plan.endpoint {
		run := &store.SyncRun{Meta: store.Meta{Endpoint: ep, FetchedAt: res.End}, RunID: res.RunID, Type: "push",
			Scope: scope, Trigger: ap.a.Trigger, Start: res.Start, Counts: map[string]store.Counts{}, Plan: summary}
		end := res.End
		run.End = &end
		failed := 0
		for _, f := range res.Failures {
			if f.Endpoint == ep || f.Endpoint == "" {
				run.Errors = append(run.Errors, f.Message)
				failed++
			}
		}
		for _, act := range ap.plan.Actions {
			if act.Endpoint != ep && act.Endpoint != "" {
				continue
			}
			c := run.Counts[string(act.Kind)]
			switch op := ap.outcome[act]; {
			case act.Op == OpUnchanged || act.Op == OpOrphan:
				c.Unchanged++
			case act.Op == OpSkip:
				c.Skipped++
			case op == OpCreate:
				c.Created++
			case op == OpUpdate:
				c.Updated++
			case op == OpStale:
				c.Stale++
			case op == OpDelete:
				c.Updated++
			default:
				c.Failed++
			}
			run.Counts[string(act.Kind)] = c
		}
		switch {
		case failed == 0:
			run.Result = "ok"
		case failed < len(ap.outcome):
			run.Result = "partial"
		default:
			run.Result = "failed"
		}
		out = append(out, run)
	}
	return out
}

// payloadHash fingerprints what was pushed for an object (references by
// key, not id, so it survives a NetBox restore).
func payloadHash(d *desired) string {
	view := map[string]any{}
	for name, v := range d.fields {
		view[name] = hashable(v)
	}
	for name, v := range d.cf {
		view["cf."+name] = v
	}
	view["tags"] = d.tags
	b, _ := json.Marshal(view)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:12])
}

func hashable(v any) any {
	switch x := v.(type) {
	case ref:
		return "ref:" + string(x.kind) + ":" + x.key
	case jsonVal:
		return x.v
	case timeVal, *time.Time:
		w, _ := wire(x, nil)
		return w
	}
	return v
}
