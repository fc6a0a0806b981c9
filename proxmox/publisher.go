package proxmox

import (
	"sync"

	"github.com/proxbox-tui/proxbox-tui/store"
)

// publisher writes a cycle's scopes while the cycle runs, so that what has
// landed is on screen at once: cluster resources (nodes and guests) first,
// the rest as it comes. Each write is one scope's whole answer and goes in
// with whatever else landed during the previous commit, in one
// transaction: a cycle of thousands of scopes makes few commits, and a
// scope is never half written.
//
// What depends on the whole cycle is written after it (Refresher.fly):
// the endpoint's health and stale scopes and the run's record, which the
// schedule and the selective plan count from. A cycle cut short (a crash,
// a failed write) leaves whole scopes newer than that record and nothing
// else: the next start finds the previous run as the latest and repeats
// the cycle, and a scope that failed earlier stays listed until a
// finished cycle says otherwise.
type publisher struct {
	st   *store.Store
	mu   sync.Mutex
	cond *sync.Cond
	// queue: the writes not yet handed to a transaction; closed: the
	// cycle is over.
	queue  []store.ScopeWrite
	closed bool
	done   chan struct{}
	err    error // the first failed write; set by run, read after done
}

func newPublisher(st *store.Store) *publisher {
	p := &publisher{st: st, done: make(chan struct{})}
	p.cond = sync.NewCond(&p.mu)
	go p.run()
	return p
}

// add queues a scope's write.
func (p *publisher) add(w store.ScopeWrite) {
	p.mu.Lock()
	p.queue = append(p.queue, w)
	p.mu.Unlock()
	p.cond.Signal()
}

// close waits until every queued write is committed and returns the first
// error; after one, nothing more is written.
func (p *publisher) close() error {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.cond.Signal()
	<-p.done
	return p.err
}

func (p *publisher) run() {
	defer close(p.done)
	for {
		p.mu.Lock()
		for len(p.queue) == 0 && !p.closed {
			p.cond.Wait()
		}
		batch, closed := p.queue, p.closed
		p.queue = nil
		p.mu.Unlock()
		if len(batch) > 0 && p.err == nil {
			p.err = p.st.ReplaceScopes(batch...)
		}
		if closed && len(batch) == 0 {
			return
		}
	}
}
