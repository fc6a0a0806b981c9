package sshserver

import (
	"errors"
	"io"
	"sync"
	"time"
)

// errStalled ends a session whose client stopped taking its output.
var errStalled = errors.New("the client stopped reading")

// outputChunk is how much the pump hands the channel at a time: progress
// is counted per chunk, so a client slower than outputChunk per stall
// timeout counts as stalled.
const outputChunk = 16 << 10

// sessionOutput is what a session writes to its client through: a bounded
// buffer that one goroutine copies to the channel. A client that reads
// slowly makes the writers wait once max bytes are waiting (a write that
// finds the buffer empty is always taken whole, so one frame never has to
// be split); a client that takes nothing for the stall timeout while output
// waits is reported through onStall, which closes its connection. Close
// makes every write fail at once, so nothing that writes to a session can
// hang on its client.
type sessionOutput struct {
	w       io.Writer
	max     int
	stall   time.Duration
	onStall func()
	timer   *time.Timer

	mu     sync.Mutex
	cond   *sync.Cond
	buf    []byte // waiting for the pump
	spare  []byte // the pump's previous chunk, reused
	busy   bool   // the pump is writing
	closed bool
	err    error // why writes fail once closed
	exited chan struct{}
}

func newSessionOutput(w io.Writer, max int, stall time.Duration, onStall func()) *sessionOutput {
	o := &sessionOutput{w: w, max: max, stall: stall, onStall: onStall, exited: make(chan struct{})}
	o.cond = sync.NewCond(&o.mu)
	o.timer = time.AfterFunc(time.Hour, o.stalled)
	o.timer.Stop()
	go o.pump()
	return o
}

// Write queues p whole, waiting while the buffer is full.
func (o *sessionOutput) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	for !o.closed && len(o.buf) > 0 && len(o.buf)+len(p) > o.max {
		o.cond.Wait()
	}
	if o.closed {
		return 0, o.err
	}
	o.buf = append(o.buf, p...)
	o.cond.Broadcast()
	return len(p), nil
}

// Drain waits until everything written was handed to the client, or the
// output failed; it returns why it failed.
func (o *sessionOutput) Drain() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	for !o.closed && (len(o.buf) > 0 || o.busy) {
		o.cond.Wait()
	}
	if o.closed && o.err != io.ErrClosedPipe {
		return o.err
	}
	return nil
}

// Close drops what is waiting and fails every write from now on.
func (o *sessionOutput) Close() { o.fail(io.ErrClosedPipe) }

// Stalled reports whether the client stopped reading.
func (o *sessionOutput) Stalled() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.err == errStalled
}

func (o *sessionOutput) fail(err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.closed {
		o.closed, o.err, o.buf, o.spare = true, err, nil, nil
		o.cond.Broadcast()
	}
}

func (o *sessionOutput) stalled() {
	o.fail(errStalled)
	if o.onStall != nil {
		o.onStall()
	}
}

func (o *sessionOutput) pump() {
	defer close(o.exited)
	for {
		o.mu.Lock()
		for !o.closed && len(o.buf) == 0 {
			o.cond.Wait()
		}
		if o.closed {
			o.mu.Unlock()
			return
		}
		chunk := o.buf
		o.buf, o.spare = o.spare[:0], nil
		o.busy = true
		o.cond.Broadcast() // room for the writers
		o.mu.Unlock()

		err := o.send(chunk)

		o.mu.Lock()
		o.busy = false
		if cap(chunk) <= 2*o.max {
			o.spare = chunk[:0] // a frame larger than that is not kept
		}
		o.cond.Broadcast()
		o.mu.Unlock()
		if err != nil {
			o.fail(err)
			return
		}
	}
}

// send writes chunk in pieces, each under the stall timer.
func (o *sessionOutput) send(chunk []byte) error {
	for len(chunk) > 0 {
		n := min(len(chunk), outputChunk)
		o.timer.Reset(o.stall)
		_, err := o.w.Write(chunk[:n])
		o.timer.Stop()
		if err != nil {
			return err
		}
		chunk = chunk[n:]
	}
	return nil
}
