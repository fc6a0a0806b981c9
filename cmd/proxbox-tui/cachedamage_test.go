//go:build unix

package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/proxbox-tui/proxbox-tui/proxmox/pvesim"
	"github.com/proxbox-tui/proxbox-tui/store"
)

// The damaged-cache suite at the commands: a real cache written by a
// refresh, truncated, with its data pages damaged, another program's bbolt
// file and a named pipe in its place. Every command that opens the cache
// says what is wrong, that nothing was changed and what to do, exits
// non-zero, and leaves the file as it was.
func TestEveryCommandReportsADamagedCache(t *testing.T) {
	e := startDemoEnv(t, pvesim.TUITokenSecret)
	if code, out, errOut := e.run(t, "refresh"); code != 0 {
		t.Fatalf("refresh: %d\n%s%s", code, out, errOut)
	}
	cfg, err := os.ReadFile(e.config)
	if err != nil {
		t.Fatal(err)
	}
	cfg = append(cfg, "netbox:\n  url: https://netbox.invalid\n  token: not-used\n"...)
	if err := os.WriteFile(e.config, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(e.cache)
	if err != nil {
		t.Fatal(err)
	}
	const psize = 4096

	damaged := bytes.Clone(good)
	pages := 0
	for at := 0; ; {
		i := bytes.Index(damaged[at:], []byte("vzdump-qemu-"))
		if i < 0 {
			break
		}
		page := (at + i) / psize * psize
		damaged[page] ^= 0x5a // the page id: it no longer says which page it is
		pages++
		at = page + psize
	}
	if pages == 0 {
		t.Fatal("no backup row in the cache")
	}

	dir := t.TempDir()
	variants := map[string]string{} // path -> what the message says
	write := func(name string, b []byte, says string) {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		variants[path] = says
	}
	write("truncated.db", good[:8*psize], "is damaged: the file is truncated")
	write("damaged.db", damaged, "is damaged: page ")
	foreign := filepath.Join(dir, "foreign.db")
	db, err := bolt.Open(foreign, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte("users"))
		if err != nil {
			return err
		}
		return b.Put([]byte("alice"), []byte("admin"))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	variants[foreign] = `is not a proxbox-tui cache: it is another program's bbolt file, without proxbox-tui's schema (buckets: "users")`
	fifo := filepath.Join(dir, "fifo.db")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	variants[fifo] = "is not a proxbox-tui cache: it is a named pipe, not a regular file"

	commands := [][]string{
		{"export", "backups"},
		{"export", "guests", "--format", "csv"},
		{"refresh"},
		{"push", "--dry-run"},
		{"push"},
		{"doctor"},
		{"prune", "--job", "lab/backup-1"},
	}
	for path, says := range variants {
		before := hashOf(t, path)
		for _, args := range commands {
			start := time.Now()
			all := append([]string{"--config", e.config, "--cache", path}, args...)
			var out, errOut bytes.Buffer
			code := run(all, strings.NewReader(""), &out, &errOut, testEnv(e.env))
			said := out.String() + errOut.String()
			if code == 0 || !strings.Contains(said, path+" "+says) || !strings.Contains(said, "Nothing was changed") {
				t.Errorf("%s %v: exit %d, want a message with %q:\n%s", filepath.Base(path), args, code, says, said)
			}
			if args[0] == "export" && strings.Contains(out.String(), "[") {
				t.Errorf("%s %v printed records:\n%s", filepath.Base(path), args, out.String())
			}
			if d := time.Since(start); d > 5*time.Second && args[0] != "doctor" { // doctor also asks Proxmox and NetBox
				t.Errorf("%s %v took %v", filepath.Base(path), args, d)
			}
		}
		// The TUI's (and serve's) start.
		a := &app{configPath: e.config, cachePath: path, getenv: testEnv(e.env), stderr: &bytes.Buffer{}}
		if eng, err := a.startEngine(context.Background(), "", "tui", ""); err == nil {
			eng.Close()
			t.Errorf("%s: the TUI started", filepath.Base(path))
		} else if !strings.Contains(err.Error(), path+" "+says) {
			t.Errorf("%s: TUI start: %v", filepath.Base(path), err)
		}
		if hashOf(t, path) != before {
			t.Errorf("%s changed", filepath.Base(path))
		}
		if _, err := os.Stat(path + ".owner"); err == nil {
			t.Errorf("%s: a refused open left a lock-holder file", filepath.Base(path))
		}
	}
}

func hashOf(t *testing.T, path string) [32]byte {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if !fi.Mode().IsRegular() {
		return sha256.Sum256([]byte(fi.Mode().String()))
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// Reading commands never create or rewrite a cache: a missing one, or the
// default one when the configuration does not load, is an error that
// says so, not an empty export.
func TestReadingCommandsNeverCreateACache(t *testing.T) {
	home := t.TempDir()
	env := map[string]string{"HOME": home}
	defaultCache := filepath.Join(home, ".cache", "proxbox-tui", "cache.db")
	for _, args := range [][]string{{"export", "backups"}, {"prune", "--job", "lab/backup-1"}} {
		code, out, errOut := runMain(t, "", env, args...)
		if code == 0 || out != "" || !strings.Contains(errOut, "no cache at "+defaultCache+": nothing to read; run `proxbox-tui refresh`") {
			t.Errorf("%v without a cache: exit %d\n%s%s", args, code, out, errOut)
		}
	}
	missing := filepath.Join(t.TempDir(), "sub", "cache.db")
	code, out, errOut := runMain(t, "", env, "--cache", missing, "export", "tasks")
	if code == 0 || out != "" || !strings.Contains(errOut, "no cache at "+missing) {
		t.Errorf("export of a missing --cache: exit %d\n%s%s", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Dir(missing)); err == nil {
		t.Error("export created the cache's directory")
	}
	if _, err := os.Stat(filepath.Dir(defaultCache)); err == nil {
		t.Error("a reading command created the default cache's directory")
	}

	// A configuration that does not load: the cache it names is unknown.
	cfgDir := filepath.Join(home, ".config", "proxbox-tui")
	if err := os.MkdirAll(cfgDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfgDir, "config.yaml"), []byte("cache: /somewhere/else.db\nproxmox: [\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = runMain(t, "", env, "export", "backups")
	if code == 0 || out != "" || !strings.Contains(errOut, "which cache to read is unknown: the configuration did not load") || !strings.Contains(errOut, "--cache FILE") {
		t.Errorf("export with a broken configuration: exit %d\n%s%s", code, out, errOut)
	}
}

// A reading command reads the cache the configuration names even when a
// secret of it is not set here, and changes nothing in it.
func TestExportReadsTheConfiguredCacheWithoutSecrets(t *testing.T) {
	e := startDemoEnv(t, pvesim.TUITokenSecret)
	if code, out, errOut := e.run(t, "refresh"); code != 0 {
		t.Fatalf("refresh: %d\n%s%s", code, out, errOut)
	}
	cfg, err := os.ReadFile(e.config)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(e.config, append(cfg, "cache: "+e.cache+"\n"...), 0o600); err != nil {
		t.Fatal(err)
	}
	before := hashOf(t, e.cache)
	env := map[string]string{"HOME": e.dir} // LAB_TOKEN and EDGE_TOKEN not set
	code, out, errOut := runMain(t, "", env, "--config", e.config, "export", "endpoints")
	if code != 0 || !strings.Contains(out, `"name":"lab"`) {
		t.Fatalf("export: exit %d\n%s%s", code, out, errOut)
	}
	if hashOf(t, e.cache) != before {
		t.Error("export changed the cache")
	}
	if _, err := os.Stat(e.cache + ".owner"); err == nil {
		t.Error("export wrote a lock-holder file")
	}
}

// A cache of an older schema is rebuilt by a refresh only: the reading
// commands (push --dry-run among them) say so and leave it as it is.
func TestReadingCommandsDoNotRebuildAnOlderCache(t *testing.T) {
	e := startDemoEnv(t, pvesim.TUITokenSecret)
	if code, out, errOut := e.run(t, "refresh"); code != 0 {
		t.Fatalf("refresh: %d\n%s%s", code, out, errOut)
	}
	cfg, err := os.ReadFile(e.config)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(e.config, append(cfg, "netbox:\n  url: https://netbox.invalid\n  token: not-used\n"...), 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(e.cache, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("meta")).Put([]byte("schema"), []byte{0, 0, 0, byte(store.SchemaVersion - 1)})
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	before := hashOf(t, e.cache)
	for _, args := range [][]string{{"export", "backups"}, {"push", "--dry-run"}, {"prune", "--job", "lab/backup-1"}, {"doctor"}} {
		code, out, errOut := e.run(t, args...)
		if code == 0 || !strings.Contains(out+errOut, "older than version") {
			t.Errorf("%v: exit %d\n%s%s", args, code, out, errOut)
		}
	}
	if hashOf(t, e.cache) != before {
		t.Fatal("a reading command changed the older cache")
	}
	if code, out, errOut := e.run(t, "refresh"); code != 0 {
		t.Fatalf("refresh of an older cache: %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := e.run(t, "export", "endpoints"); code != 0 || !strings.Contains(out, `"name":"lab"`) {
		t.Fatalf("export after the rebuild: %d\n%s%s", code, out, errOut)
	}
}
