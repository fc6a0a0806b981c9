package store

import (
	"context"
	"sort"
	"sync"
)

// Change says that the records of one kind and endpoint changed; Version
// grows with every committed write.
type Change struct {
	Kind     Kind
	Endpoint string
	Version  uint64
}

// Subscription receives changes. Writers never wait for it: changes pile up
// coalesced per (kind, endpoint), keeping the newest version, until read.
type Subscription struct {
	store *Store
	ready chan struct{}

	mu      sync.Mutex
	pending map[changeKey]uint64
	closed  bool
}

type changeKey struct {
	kind     Kind
	endpoint string
}

// Subscribe starts a subscription; Close it when done.
func (s *Store) Subscribe() *Subscription {
	sub := &Subscription{store: s, ready: make(chan struct{}, 1), pending: map[changeKey]uint64{}}
	s.mu.Lock()
	s.subs[sub] = struct{}{}
	s.mu.Unlock()
	return sub
}

// Ready is signalled (at most one pending signal) when changes are waiting.
// It is closed when the subscription or the store is closed.
func (sub *Subscription) Ready() <-chan struct{} { return sub.ready }

// Drain returns the waiting changes, ordered by version, and clears them.
func (sub *Subscription) Drain() []Change {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	if len(sub.pending) == 0 {
		return nil
	}
	out := make([]Change, 0, len(sub.pending))
	for k, v := range sub.pending {
		out = append(out, Change{Kind: k.kind, Endpoint: k.endpoint, Version: v})
	}
	clear(sub.pending)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Version != out[j].Version {
			return out[i].Version < out[j].Version
		}
		if out[i].Kind != out[j].Kind {
			return out[i].Kind < out[j].Kind
		}
		return out[i].Endpoint < out[j].Endpoint
	})
	return out
}

// Next blocks until changes are waiting and returns them; it returns
// ctx.Err() when ctx ends and ErrClosed when the subscription is closed.
func (sub *Subscription) Next(ctx context.Context) ([]Change, error) {
	for {
		if ch := sub.Drain(); ch != nil {
			return ch, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case _, ok := <-sub.ready:
			if !ok {
				if ch := sub.Drain(); ch != nil {
					return ch, nil
				}
				return nil, ErrClosed
			}
		}
	}
}

// Close ends the subscription.
func (sub *Subscription) Close() {
	sub.store.mu.Lock()
	delete(sub.store.subs, sub)
	sub.store.mu.Unlock()
	sub.close()
}

func (sub *Subscription) close() {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	if !sub.closed {
		sub.closed = true
		close(sub.ready)
	}
}

func (sub *Subscription) offer(changes []Change) {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	if sub.closed {
		return
	}
	for _, c := range changes {
		k := changeKey{c.Kind, c.Endpoint}
		if c.Version > sub.pending[k] {
			sub.pending[k] = c.Version
		}
	}
	select {
	case sub.ready <- struct{}{}:
	default: // a signal is already waiting
	}
}

func (s *Store) publish(changes []Change) {
	if len(changes) == 0 {
		return
	}
	s.mu.Lock()
	subs := make([]*Subscription, 0, len(s.subs))
	for sub := range s.subs {
		subs = append(subs, sub)
	}
	s.mu.Unlock()
	for _, sub := range subs {
		sub.offer(changes)
	}
}
