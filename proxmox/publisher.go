package proxmox

import (
	"sync"
	"time"

	"github.com/proxbox-tui/proxbox-tui/store"
)

// publishGap is the least time between two of a cycle's commits: the first
// scopes (cluster resources) go at once, the rest in a few large
// transactions, as a commit costs the same for one scope or hundreds.
const publishGap = 250 * time.Millisecond

// publisher writes a cycle's scopes while the cycle runs, so that what has
// landed is on screen at once: cluster resources (nodes and guests) first,
// the rest as it comes. Each write is one scope's whole answer and goes in
// with whatever else landed since the previous commit (at least publishGap
// before), in one transaction: a cycle of thousands of scopes makes few
// commits, and a scope is never half written.
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
	ending chan struct{} // closed by close
	done   chan struct{}
	err    error // the first failed write; set by run, read after done
}

func newPublisher(st *store.Store) *publisher {
	p := &publisher{st: st, ending: make(chan struct{}), done: make(chan struct{})}
	p.cond = sync.NewCond(&p.mu)
	go p.run()
	return p
}

// add queues scopes' writes, to go in one transaction.
func (p *publisher) add(ws ...store.ScopeWrite) {
	if len(ws) == 0 {
		return
	}
	p.mu.Lock()
	p.queue = append(p.queue, ws...)
	p.mu.Unlock()
	p.cond.Signal()
}

// close waits until every queued write is committed and returns the first
// error; after one, nothing more is written.
func (p *publisher) close() error {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	close(p.ending)
	p.cond.Signal()
	<-p.done
	return p.err
}

func (p *publisher) run() {
	defer close(p.done)
	var last time.Time
	for {
		p.mu.Lock()
		for len(p.queue) == 0 && !p.closed {
			p.cond.Wait()
		}
		closed := p.closed
		p.mu.Unlock()
		if wait := publishGap - time.Since(last); !closed && !last.IsZero() && wait > 0 {
			p.sleep(wait)
		}
		p.mu.Lock()
		batch, closed := p.queue, p.closed
		p.queue = nil
		p.mu.Unlock()
		if len(batch) > 0 && p.err == nil {
			last = time.Now()
			p.err = p.st.ReplaceScopes(batch...)
		}
		if closed && len(batch) == 0 {
			return
		}
	}
}

// sleep waits d, or less when the cycle ends meanwhile.
func (p *publisher) sleep(d time.Duration) {
	select {
	case <-time.After(d):
	case <-p.ending:
	}
}
