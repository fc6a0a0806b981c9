package sshserver

import (
	"bytes"
	"errors"
	"io"
	"sync"
	"testing"
	"time"
)

// blockedWriter takes nothing until released, as a client that stopped
// reading.
type blockedWriter struct {
	release chan struct{}
	mu      sync.Mutex
	got     bytes.Buffer
}

func (w *blockedWriter) Write(p []byte) (int, error) {
	<-w.release
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.got.Write(p)
}

// The output holds at most its bound for a client that takes nothing: a
// write beyond it waits, and the stall timer fails it and reports the stall.
func TestSessionOutputBoundedAndStalls(t *testing.T) {
	w := &blockedWriter{release: make(chan struct{})}
	stalled := make(chan struct{})
	o := newSessionOutput(w, 1024, 200*time.Millisecond, func() { close(stalled); close(w.release) })
	defer o.Close()
	frame := bytes.Repeat([]byte("x"), 1000)
	for i := range 2 { // one taken by the pump, one waiting
		if _, err := o.Write(frame); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	wrote := make(chan error, 1)
	go func() {
		_, err := o.Write(frame)
		wrote <- err
	}()
	select {
	case err := <-wrote:
		t.Fatalf("a write beyond the bound returned at once: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	select {
	case <-stalled:
	case <-time.After(5 * time.Second):
		t.Fatal("no stall reported")
	}
	if err := <-wrote; !errors.Is(err, errStalled) {
		t.Errorf("waiting write: %v", err)
	}
	if err := o.Drain(); !errors.Is(err, errStalled) || !o.Stalled() {
		t.Errorf("drain %v, stalled %v", err, o.Stalled())
	}
	if _, err := o.Write([]byte("more")); err == nil {
		t.Error("write after the stall accepted")
	}
}

// A client that reads gets everything, in order, in pieces; Drain waits for
// it; a write larger than the bound is taken whole; Close fails writes.
func TestSessionOutputDelivers(t *testing.T) {
	w := &blockedWriter{release: make(chan struct{})}
	close(w.release)
	o := newSessionOutput(w, 64, time.Second, func() { t.Error("stalled") })
	var want bytes.Buffer
	for i := range 50 {
		p := bytes.Repeat([]byte{byte('a' + i%26)}, 10+i*7)
		want.Write(p)
		if _, err := o.Write(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := o.Drain(); err != nil {
		t.Fatal(err)
	}
	w.mu.Lock()
	same := bytes.Equal(w.got.Bytes(), want.Bytes())
	w.mu.Unlock()
	if !same {
		t.Error("the client got other bytes than were written")
	}
	o.Close()
	if _, err := o.Write([]byte("x")); !errors.Is(err, io.ErrClosedPipe) {
		t.Errorf("write after close: %v", err)
	}
	if err := o.Drain(); err != nil {
		t.Errorf("drain after close: %v", err)
	}
}
