//go:build unix

package sshserver

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Key files that someone else could write are refused with the file and
// the fix, as sshd's StrictModes refuses them; so are files that are not
// plain files, or too large to be key files.
func TestLoadKeyringRefusesUnsafeFiles(t *testing.T) {
	line := authorizedLine(newSigner(t), "a")
	for _, tc := range []struct {
		name      string
		fileMode  os.FileMode
		dirMode   os.FileMode
		want      string // "" for accepted; FILE and DIR stand for the paths
		otherwise func(t *testing.T, path string)
	}{
		{name: "private", fileMode: 0o600, dirMode: 0o700},
		{name: "readable by all", fileMode: 0o644, dirMode: 0o755},
		{name: "world-writable", fileMode: 0o666, dirMode: 0o700, want: "FILE is writable by group or others (mode 0666), so they could let themselves in: chmod go-w FILE"},
		{name: "group-writable", fileMode: 0o620, dirMode: 0o700, want: "FILE is writable by group or others (mode 0620)"},
		{name: "in a world-writable directory", fileMode: 0o600, dirMode: 0o777, want: "FILE is in DIR, which group or others may write (mode 0777), so they could replace it: chmod go-w DIR"},
		{name: "in a sticky directory", fileMode: 0o600, dirMode: 0o777 | os.ModeSticky},
		{name: "a FIFO", fileMode: 0o600, dirMode: 0o700, want: "FILE is not a regular file", otherwise: func(t *testing.T, path string) {
			os.Remove(path)
			if err := syscall.Mkfifo(path, 0o600); err != nil {
				t.Skip("no FIFOs here:", err)
			}
		}},
		{name: "too large", fileMode: 0o600, dirMode: 0o700, want: "more than a key file may hold (4 MiB)", otherwise: func(t *testing.T, path string) {
			if err := os.WriteFile(path, bytes.Repeat([]byte("# padding\n"), maxKeyFileSize/10+1), 0o600); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "keys")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "authorized_keys")
			if err := os.WriteFile(path, []byte(line), 0o600); err != nil {
				t.Fatal(err)
			}
			if tc.otherwise != nil {
				tc.otherwise(t, path)
			}
			if err := os.Chmod(path, tc.fileMode); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(dir, tc.dirMode); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() {
				_, err := LoadKeyring(path, "")
				done <- err
			}()
			var err error
			select {
			case err = <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("LoadKeyring hangs")
			}
			want := strings.NewReplacer("FILE", path, "DIR", dir).Replace(tc.want)
			switch {
			case want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
				t.Errorf("error %v\nwant it to contain %q", err, want)
			case want != "" && !strings.HasPrefix(err.Error(), "operator keys: "):
				t.Errorf("error %q does not say which keys", err)
			}
		})
	}
}
