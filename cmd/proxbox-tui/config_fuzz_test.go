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
	env := testEnv(map[string]string{"TOK": "secret-value", "PVE_LAB_TOKEN": "secret-value"})
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, _, err := ParseConfig("fuzz.yaml", data, 0o600, LoadOptions{Getenv: env,
			ReadFile: func(string) ([]byte, error) { return []byte("secret-value"), nil }})
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
		if strings.Contains(err.Error(), "secret-value") {
			t.Fatalf("error echoes a secret: %v", err)
		}
	})
}
