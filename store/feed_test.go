package store

import (
	"context"
	"fmt"
	"testing"
	"time"
)

func TestSlowSubscriberDoesNotBlockWriters(t *testing.T) {
	s := openTemp(t)
	slow := s.Subscribe() // never read until the end
	defer slow.Close()
	fast := s.Subscribe()
	defer fast.Close()

	const writes = 500
	done := make(chan error, 1)
	go func() {
		for i := 0; i < writes; i++ {
			ep := []string{"lab", "edge"}[i%2]
			if err := s.Put(backup(ep, fmt.Sprintf("nfs:%d", i), time.Now())); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	seen := 0
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for finished := false; !finished; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			finished = true
		case <-fast.Ready():
			seen += len(fast.Drain())
		case <-ctx.Done():
			t.Fatal("writers were blocked by a subscriber that does not read")
		}
	}
	seen += len(fast.Drain())
	if seen == 0 {
		t.Fatal("the reading subscriber saw no change")
	}

	// The slow one gets everything coalesced: one change per (kind,
	// endpoint), carrying the newest version.
	got := slow.Drain()
	if len(got) != 2 {
		t.Fatalf("coalesced changes: %+v, want 2", got)
	}
	last := got[len(got)-1]
	if last.Kind != KindBackup || last.Version < writes {
		t.Fatalf("newest change %+v, want backups at version >= %d", last, writes)
	}
	if more := slow.Drain(); more != nil {
		t.Fatalf("drain twice: %+v", more)
	}
}

func TestSubscriptionNextAndClose(t *testing.T) {
	s := openTemp(t)
	sub := s.Subscribe()
	go func() {
		_ = s.ReplaceScope(ScopeWrite{Kind: KindGuest, Endpoint: "lab", Scope: "resources",
			Records: []Record{&Guest{Meta: Meta{Endpoint: "lab"}, Type: "qemu", VMID: 100}}})
	}()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	changes, err := sub.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 1 || changes[0].Kind != KindGuest || changes[0].Endpoint != "lab" || changes[0].Version == 0 {
		t.Fatalf("changes = %+v", changes)
	}
	sub.Close()
	if _, err := sub.Next(ctx); err != ErrClosed {
		t.Fatalf("Next after Close: %v", err)
	}
	// A failed write publishes nothing.
	sub2 := s.Subscribe()
	defer sub2.Close()
	err = s.ReplaceScope(ScopeWrite{Kind: KindGuest, Endpoint: "lab", Scope: "x",
		Records: []Record{&Guest{Meta: Meta{Endpoint: "edge"}, Type: "qemu", VMID: 1}}})
	if err == nil {
		t.Fatal("write with a foreign record succeeded")
	}
	if ch := sub2.Drain(); ch != nil {
		t.Fatalf("failed write published %+v", ch)
	}
}
