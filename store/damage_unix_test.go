//go:build unix

package store

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestWhatIsNotARegularFileIsRefusedAtOnce(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	garbage := filepath.Join(dir, "garbage")
	if err := os.WriteFile(garbage, bytes.Repeat([]byte("not a database "), 400), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{fifo: "a named pipe, not a regular file", dir: "a directory, not a regular file", garbage: "not a bbolt file"}
	if _, err := os.Stat("/dev/zero"); err == nil {
		cases["/dev/zero"] = "a character device, not a regular file"
	}
	for path, what := range cases {
		for _, ro := range []bool{false, true} {
			start := time.Now()
			s, err := Open(path, Options{ReadOnly: ro})
			if err == nil {
				s.Close()
				t.Fatalf("%s opened", path)
			}
			var f *ForeignError
			if !errors.As(err, &f) || !strings.Contains(err.Error(), what) || !strings.Contains(err.Error(), path) {
				t.Errorf("%s (ReadOnly=%v): err = %v, want it to say %q", path, ro, err, what)
			}
			if d := time.Since(start); d > 5*time.Second { // refused at once, not hung
				t.Errorf("%s: refused after %v", path, d)
			}
		}
	}
	if fi, err := os.Stat(fifo); err != nil || fi.Mode()&fs.ModeNamedPipe == 0 {
		t.Fatalf("the fifo changed: %v %v", fi, err)
	}
}
