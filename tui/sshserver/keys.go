package sshserver

import (
	"bytes"
	"crypto/rsa"
	"fmt"
	"strings"

	gossh "golang.org/x/crypto/ssh"

	"github.com/proxbox-tui/proxbox-tui/tui"
)

// Keyring maps the public keys allowed in to their role. It is read once at
// start; every line of its files must parse, so a typo never locks anyone
// out silently.
type Keyring struct {
	byKey    map[string]KeyEntry // by the key's wire encoding
	counts   [2]int              // per role
	Warnings []string            // lines accepted with something ignored
}

// KeyEntry is one allowed key.
type KeyEntry struct {
	Role        tui.Role
	Fingerprint string // SHA256:...
	Comment     string
	Source      string // file:line
}

// KeyFileError reports a line of a key file that is not a public key, or
// whose key is refused.
type KeyFileError struct {
	File string
	Line int
	Err  error
	Hint string // what to do; empty: what a line may be
}

func (e *KeyFileError) Error() string {
	hint := e.Hint
	if hint == "" {
		hint = "each line must be one OpenSSH public key such as \"ssh-ed25519 AAAA... alice@laptop\", a comment starting with #, or blank"
	}
	return fmt.Sprintf("%s:%d: %v (%s)", e.File, e.Line, e.Err, hint)
}

func (e *KeyFileError) Unwrap() error { return e.Err }

// LoadKeyring reads the operators' and the viewers' key files in the
// authorized_keys format; an empty path means none of that role. A key
// listed in both files is an error: which role it should have is unclear.
// A file that someone else could write is refused (see readKeyFile).
func LoadKeyring(operatorFile, viewerFile string) (*Keyring, error) {
	k := &Keyring{byKey: map[string]KeyEntry{}}
	for _, f := range []struct {
		path string
		role tui.Role
	}{{operatorFile, tui.RoleOperator}, {viewerFile, tui.RoleViewer}} {
		if f.path == "" {
			continue
		}
		data, err := readKeyFile(f.path)
		if err != nil {
			return nil, fmt.Errorf("%s keys: %w", f.role, err)
		}
		if err := k.add(f.path, data, f.role); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// ParseKeyring builds a keyring from file contents (tests, embedding).
func ParseKeyring(operatorName string, operators []byte, viewerName string, viewers []byte) (*Keyring, error) {
	k := &Keyring{byKey: map[string]KeyEntry{}}
	if err := k.add(operatorName, operators, tui.RoleOperator); err != nil {
		return nil, err
	}
	if err := k.add(viewerName, viewers, tui.RoleViewer); err != nil {
		return nil, err
	}
	return k, nil
}

func (k *Keyring) add(name string, data []byte, role tui.Role) error {
	for n := 1; len(data) > 0; n++ {
		raw := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			raw, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if len(raw) > maxKeyLine {
			return &KeyFileError{File: name, Line: n, Err: fmt.Errorf("the line is %d bytes long, more than a public key line may be (%d)", len(raw), maxKeyLine)}
		}
		line := strings.TrimSpace(string(raw))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, comment, options, rest, err := gossh.ParseAuthorizedKey([]byte(line))
		if err == nil && len(bytes.TrimSpace(rest)) > 0 {
			err = fmt.Errorf("more than one key on the line")
		}
		if err != nil {
			return &KeyFileError{File: name, Line: n, Err: err}
		}
		if _, ok := key.(*gossh.Certificate); ok {
			return &KeyFileError{File: name, Line: n, Err: fmt.Errorf("certificates are not supported, list the plain public key")}
		}
		if why := weakKey(key); why != "" {
			return &KeyFileError{File: name, Line: n, Err: fmt.Errorf("weak key refused: %s", why),
				Hint: "replace it with a stronger key, such as one from ssh-keygen -t ed25519"}
		}
		src := fmt.Sprintf("%s:%d", name, n)
		if len(options) > 0 {
			k.Warnings = append(k.Warnings, fmt.Sprintf("%s: options %s are ignored", src, strings.Join(options, ",")))
		}
		e := KeyEntry{Role: role, Fingerprint: gossh.FingerprintSHA256(key), Comment: comment, Source: src}
		if prev, dup := k.byKey[string(key.Marshal())]; dup {
			if prev.Role != role {
				return fmt.Errorf("key %s is listed as %s in %s and as %s in %s: keep it in one file", e.Fingerprint, prev.Role, prev.Source, role, src)
			}
			continue
		}
		k.byKey[string(key.Marshal())] = e
		k.counts[role]++
	}
	return nil
}

// minRSABits is the smallest RSA key let in: NIST has disallowed smaller
// ones since 2013 (OpenSSH's own floor is 1024).
const minRSABits = 2048

// weakKey says why a key is too weak to let in, or "" when it is not.
func weakKey(key gossh.PublicKey) string {
	switch key.Type() {
	case gossh.KeyAlgoRSA:
		if ck, ok := key.(gossh.CryptoPublicKey); ok {
			if rk, ok := ck.CryptoPublicKey().(*rsa.PublicKey); ok && rk.N.BitLen() < minRSABits {
				return fmt.Sprintf("RSA key of %d bits, at least %d are required", rk.N.BitLen(), minRSABits)
			}
		}
	case "ssh-dss":
		return "DSA key (1024 bits at most; OpenSSH no longer accepts DSA)"
	}
	return ""
}

// Lookup returns the entry of an allowed key.
func (k *Keyring) Lookup(key gossh.PublicKey) (KeyEntry, bool) {
	if k == nil || key == nil {
		return KeyEntry{}, false
	}
	e, ok := k.byKey[string(key.Marshal())]
	return e, ok
}

// Count is the number of keys with a role.
func (k *Keyring) Count(role tui.Role) int {
	if role < 0 || int(role) >= len(k.counts) {
		return 0
	}
	return k.counts[role]
}

// Len is the number of allowed keys.
func (k *Keyring) Len() int { return len(k.byKey) }
