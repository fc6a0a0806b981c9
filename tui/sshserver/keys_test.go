package sshserver

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/proxbox-tui/proxbox-tui/tui"
)

func statMode(path string) (os.FileMode, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return fi.Mode().Perm(), nil
}

func TestKeyring(t *testing.T) {
	alice, bob, carol := newSigner(t), newSigner(t), newSigner(t)
	ops := "# operators\n\n" + authorizedLine(alice, "alice") + "  " + authorizedLine(bob, "bob")
	viewers := `restrict,pty ` + authorizedLine(carol, "carol")
	k, err := ParseKeyring("ops", []byte(ops), "viewers", []byte(viewers))
	if err != nil {
		t.Fatal(err)
	}
	if k.Count(tui.RoleOperator) != 2 || k.Count(tui.RoleViewer) != 1 || k.Len() != 3 {
		t.Errorf("counts %d operators, %d viewers", k.Count(tui.RoleOperator), k.Count(tui.RoleViewer))
	}
	e, ok := k.Lookup(carol.PublicKey())
	if !ok || e.Role != tui.RoleViewer || e.Source != "viewers:1" || e.Comment != "carol" || !strings.HasPrefix(e.Fingerprint, "SHA256:") {
		t.Errorf("carol: %+v %v", e, ok)
	}
	if e, _ := k.Lookup(bob.PublicKey()); e.Source != "ops:4" || e.Role != tui.RoleOperator {
		t.Errorf("bob: %+v", e)
	}
	if _, ok := k.Lookup(newSigner(t).PublicKey()); ok {
		t.Error("unknown key found")
	}
	if len(k.Warnings) != 1 || !strings.Contains(k.Warnings[0], "viewers:1: options restrict,pty are ignored") {
		t.Errorf("warnings %q", k.Warnings)
	}
}

func TestKeyringRejectsBadLines(t *testing.T) {
	alice := newSigner(t)
	good := authorizedLine(alice, "alice")
	for _, tc := range []struct {
		name, ops, viewers, want string
	}{
		{"truncated key", good + "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI\n", "", "ops:2: "},
		{"not a key", "# x\nhello world\n" + good, "", "ops:2: "},
		{"private key pasted", "", "-----BEGIN OPENSSH PRIVATE KEY-----\n", "viewers:1: "},
		{"in both files", good, good, "listed as operator in ops:1 and as viewer in viewers:1"},
		{"RSA 1024", good + "# weak\n" + rsaLine(t, 1024), "", "ops:3: weak key refused: RSA key of 1024 bits, at least 2048 are required"},
		{"DSA", "", dsaLine(), "viewers:1: weak key refused: DSA key"},
		{"over-long line", good + "\n" + "ssh-ed25519 " + strings.Repeat("A", 20000) + "\n", "", "ops:3: the line is 20012 bytes long, more than a public key line may be (16384)"},
		{"over-long comment", "# " + strings.Repeat("x", maxKeyLine) + "\n", "", "ops:1: the line is 16386 bytes long"},
		{"over-long last line", good + strings.Repeat("A", maxKeyLine+1), "", "ops:2: the line is 16385 bytes long"},
		{"a line of 2 MiB", strings.Repeat("A", 2<<20), "", "ops:1: the line is 2097152 bytes long"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseKeyring("ops", []byte(tc.ops), "viewers", []byte(tc.viewers))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

// RSA keys of 2048 bits and more are let in.
func TestKeyringAcceptsStrongRSA(t *testing.T) {
	k, err := ParseKeyring("ops", []byte(rsaLine(t, 2048)), "viewers", nil)
	if err != nil || k.Len() != 1 {
		t.Fatalf("2048-bit RSA: %v", err)
	}
}

func rsaLine(t *testing.T, bits int) string {
	t.Helper()
	priv, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := gossh.NewPublicKey(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(gossh.MarshalAuthorizedKey(pub))) + " rsa@old\n"
}

// dsaLine is an ssh-dss key line of the only size DSA keys have.
func dsaLine() string {
	p := new(big.Int).Lsh(big.NewInt(1), 1023)
	q := new(big.Int).Lsh(big.NewInt(1), 159)
	blob := gossh.Marshal(struct {
		Name       string
		P, Q, G, Y *big.Int
	}{"ssh-dss", p.Add(p, big.NewInt(1)), q.Add(q, big.NewInt(1)), big.NewInt(2), big.NewInt(3)})
	return "ssh-dss " + base64.StdEncoding.EncodeToString(blob) + " dsa@old\n"
}

func TestLoadKeyringFiles(t *testing.T) {
	dir := t.TempDir()
	ops := filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(ops, []byte(authorizedLine(newSigner(t), "a")+"garbage\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := LoadKeyring(ops, "")
	var kfe *KeyFileError
	if !errors.As(err, &kfe) || kfe.File != ops || kfe.Line != 2 || !strings.Contains(err.Error(), ops+":2:") {
		t.Errorf("error %v", err)
	}
	if _, err := LoadKeyring("", filepath.Join(dir, "missing")); err == nil || !strings.Contains(err.Error(), "viewer keys") {
		t.Errorf("missing file: %v", err)
	}
}

func TestHostKeyCreatedOnceAndPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "ssh_host_ed25519_key")
	s1, created, err := LoadOrCreateHostKey(path)
	if err != nil || !created {
		t.Fatalf("first start: created %v, %v", created, err)
	}
	if s1.PublicKey().Type() != "ssh-ed25519" {
		t.Errorf("key type %s", s1.PublicKey().Type())
	}
	if m, _ := statMode(path); m != 0o600 {
		t.Errorf("mode %04o", m)
	}
	s2, created, err := LoadOrCreateHostKey(path)
	if err != nil || created {
		t.Fatalf("second start: created %v, %v", created, err)
	}
	if Fingerprint(s1.PublicKey()) != Fingerprint(s2.PublicKey()) {
		t.Error("host key changed between starts")
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadOrCreateHostKey(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("readable key: %v", err)
	}
}

func TestQueryBackground(t *testing.T) {
	for _, tc := range []struct {
		name, reply       string
		dark, known       bool
		keptForTheProgram string
	}{
		{"dark", "\x1b]11;rgb:1c1c/1c1c/1c1c\x07\x1b[?62;22c", true, true, ""},
		{"light, ST and keys typed", "j\x1b]11;rgb:ffff/ffff/eeee\x1b\\\x1b[?1;2ck", false, true, "jk"},
		{"no colour, DA1 only", "\x1b[?6c", false, false, ""},
		{"no answer", "", false, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, w := io.Pipe()
			in := newSessionInput(r)
			defer in.Close()
			go func() {
				if tc.reply != "" {
					io.WriteString(w, tc.reply)
				}
			}()
			var query strings.Builder
			dark, known := queryBackground(&query, in, 300*time.Millisecond)
			if dark != tc.dark || known != tc.known {
				t.Errorf("dark %v known %v, want %v %v", dark, known, tc.dark, tc.known)
			}
			if query.String() != backgroundQuery {
				t.Errorf("query %q", query.String())
			}
			w.Close()
			rest, _ := io.ReadAll(in)
			if string(rest) != tc.keptForTheProgram {
				t.Errorf("left for the program %q, want %q", rest, tc.keptForTheProgram)
			}
		})
	}
}

func TestIsDark(t *testing.T) {
	for spec, want := range map[string]bool{
		"rgb:0000/0000/0000": true, "rgb:ffff/ffff/ffff": false, "rgb:1/1/1": true, "rgb:f/f/f": false,
		"#202020": true, "#f0f0f0": false,
	} {
		if got, ok := isDark(spec); !ok || got != want {
			t.Errorf("%s: %v %v", spec, got, ok)
		}
	}
	for _, bad := range []string{"", "rgb:xx/00/00", "cmyk:1/2/3/4", "rgb:12345/0/0"} {
		if _, ok := isDark(bad); ok {
			t.Errorf("%q accepted", bad)
		}
	}
}
