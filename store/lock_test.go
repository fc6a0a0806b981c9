package store

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A child process (this test binary, re-executed) holds the cache open.
const holdEnv = "PROXBOX_TUI_STORE_HOLD"

func TestMain(m *testing.M) {
	if path := os.Getenv(holdEnv); path != "" {
		s, err := Open(path, Options{Owner: Owner{Command: "proxbox-tui serve", SSHListen: ":2222"}})
		if err != nil {
			os.Stdout.WriteString("error: " + err.Error() + "\n")
			os.Exit(1)
		}
		os.Stdout.WriteString("ready\n")
		// Hold the lock until the parent closes our stdin.
		bufio.NewReader(os.Stdin).ReadString('\n')
		s.Close()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func writeFile(path, content string) error { return os.WriteFile(path, []byte(content), 0o600) }

func TestLockedCacheFailsFastWithAClearError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cache.db")
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), holdEnv+"="+path)
	stdin, err := child.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stdin.Close()
		child.Wait()
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "ready\n" {
		t.Fatalf("child: %q %v", line, err)
	}

	start := time.Now()
	_, err = Open(path, Options{})
	elapsed := time.Since(start)
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("second open: err = %v, want a LockedError", err)
	}
	if elapsed > 2*time.Second {
		t.Errorf("second open took %v, want under 2s", elapsed)
	}
	msg := err.Error()
	for _, want := range []string{path, "pid " + strconv.Itoa(child.Process.Pid), "ssh -p 2222", "--cache"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not say %q", msg, want)
		}
	}
	if h := Holder(path); h == nil || h.PID != child.Process.Pid {
		t.Errorf("Holder = %+v", h)
	}

	// Once the holder exits, the cache opens and is consistent.
	stdin.Close()
	child.Wait()
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatalf("open after the holder exited: %v", err)
	}
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
	s.Close()
}

func TestLockedErrorWithoutHolderStillSaysHowToProceed(t *testing.T) {
	err := (&LockedError{Path: "/tmp/c.db"}).Error()
	for _, want := range []string{"/tmp/c.db", "ssh -p PORT", "--cache FILE"} {
		if !strings.Contains(err, want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
}
