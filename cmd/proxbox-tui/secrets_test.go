package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/proxbox-tui/proxbox-tui/proxmox/pvesim"
)

// The secrets suite of QUALITY.md: after a cycle with every kind of secret
// configured (token from the environment, password from a file, inline),
// no secret is in the cache, the files next to it, the log, or the output.
func TestNoSecretLeavesTheConfig(t *testing.T) {
	e := startDemoEnv(t, pvesim.TUITokenSecret)
	pwFile := filepath.Join(e.dir, "edge.pw")
	if err := os.WriteFile(pwFile, []byte(pvesim.RootPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const netboxToken = "0123456789abcdef0123456789abcdef01234567"
	cfg := fmt.Sprintf(`proxmox:
  - name: lab
    url: %s
    token_id: "%s"
    token_secret_env: LAB_TOKEN
    tls: {fingerprint: "%s"}
  - name: edge
    url: %s
    username: %s
    password_file: %s
    tls: {fingerprint: "%s"}
netbox:
  url: https://netbox.invalid
  token: %s
`, e.demo.Lab.URL, pvesim.TUITokenID, e.demo.Lab.Fingerprint, e.demo.Edge.URL, pvesim.RootUser, pwFile, e.demo.Edge.Fingerprint, netboxToken)
	if err := os.WriteFile(e.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := e.run(t, "refresh")
	if code != 0 {
		t.Fatalf("refresh with token and password: %d\n%s%s", code, out, errOut)
	}
	_, exported, _ := e.run(t, "export", "endpoints")
	secrets := []string{pvesim.TUITokenSecret, pvesim.RootPassword, netboxToken}
	places := map[string][]byte{"stdout": []byte(out + exported), "stderr": []byte(errOut)}
	files, _ := filepath.Glob(filepath.Join(filepath.Dir(e.cache), "*"))
	logFile := filepath.Join(e.dir, ".local", "state", "proxbox-tui", "proxbox-tui.log")
	logged, err := os.ReadFile(logFile)
	if err != nil || !bytes.Contains(logged, []byte(`"msg":"refresh"`)) {
		t.Fatalf("refresh wrote no log line (%v):\n%s", err, logged)
	}
	files = append(files, logFile)
	for _, f := range files {
		if f == e.config || f == pwFile {
			continue
		}
		b, err := os.ReadFile(f)
		if err == nil {
			places[f] = b
		}
	}
	if len(places) < 3 {
		t.Fatalf("only %d places searched", len(places))
	}
	for where, content := range places {
		for _, s := range secrets {
			if bytes.Contains(content, []byte(s)) {
				t.Errorf("a configured secret is in %s", where)
			}
		}
	}
	if !bytes.Contains([]byte(exported), []byte(`"auth_kind":"ticket"`)) || !bytes.Contains([]byte(exported), []byte(`"token_name":"ro"`)) {
		t.Errorf("the endpoints do not record how they authenticate:\n%s", exported)
	}
}
