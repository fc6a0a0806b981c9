package main

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParseConfig: any text gives a configuration or errors that name the
// file and a key, never a panic, and never echo a secret value.
func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(validConfig))
	f.Add([]byte("proxmox:\n  - name: lab\n    url: https://pve1:8006\n    token_id: \"a@pve!ro\"\n    token_secret: hunter2\n"))
	f.Add([]byte("netbox: {url: https://nb, token_env: TOK}\nssh: {listen: ':2222'}\n"))
	f.Add([]byte("proxmox: [{name: a, tls: {fingerprint: zz}}]\n"))
	f.Add([]byte("a: &x [*x]\n"))
	// A secret where a variable's name or a file's path belongs.
	f.Add([]byte("netbox: {url: https://nb, token_env: secret-value}\n"))
	f.Add([]byte("netbox: {url: https://nb, token_env: \"secret-value\", token_file: secret-value}\n"))
	f.Add([]byte("x: &e {name: a}\nproxmox: [*e, *e, *e, *e]\n"))
	f.Add([]byte(strings.Repeat("k", 300) + ": 1\n" + strings.Repeat("u: 1\n", 30)))
	// The secrets that resolve; "secret-value" is what the seeds write where
	// a variable's name or a file's path belongs.
	const resolved = "Zq7-resolved-secret"
	env := testEnv(map[string]string{"TOK": resolved, "PVE_LAB_TOKEN": resolved})
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, _, err := ParseConfig("fuzz.yaml", data, 0o600, LoadOptions{Getenv: env,
			ReadFile: func(string) ([]byte, error) { return []byte(resolved), nil }})
		if err == nil {
			if cfg == nil {
				t.Fatal("no config and no error")
			}
			return
		}
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.File != "fuzz.yaml" || ce.Key == "" {
			t.Fatalf("error without file and key: %v", err)
		}
		if strings.Contains(err.Error(), resolved) {
			t.Fatalf("error echoes a secret: %v", err)
		}
		// An error about a secret key does not repeat what was written
		// there (a secret where a name belongs).
		for _, line := range strings.Split(err.Error(), "\n") {
			if strings.Contains(line, "secret-value") && isSecretKeyError(line) {
				t.Fatalf("error about a secret key echoes its value: %v", line)
			}
		}
	})
}

// isSecretKeyError reports whether an error line ("file:line: key: msg")
// is about a secret's key (token_secret, password, token and their _env
// and _file forms).
func isSecretKeyError(line string) bool {
	_, rest, ok := strings.Cut(line, ": ")
	if !ok {
		return false
	}
	key, _, _ := strings.Cut(rest, ": ")
	key = key[strings.LastIndex(key, ".")+1:]
	key = strings.TrimSuffix(strings.TrimSuffix(key, "_env"), "_file")
	return key == "token_secret" || key == "password" || key == "token"
}
