package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/proxbox-tui/proxbox-tui/netbox"
	"github.com/proxbox-tui/proxbox-tui/netbox/nbsim"
	"github.com/proxbox-tui/proxbox-tui/proxmox"
	"github.com/proxbox-tui/proxbox-tui/proxmox/pvesim"
)

// simProcess is `proxbox-tui sim ...` running, with what it printed up to
// its "running until" line.
type simProcess struct {
	cmd    *exec.Cmd
	banner string
	exited chan error
	rest   chan string // what it prints after the banner
}

func startSim(t *testing.T, bin string, args ...string) *simProcess {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"sim"}, args...)...)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &simProcess{cmd: cmd, exited: make(chan error, 1), rest: make(chan string, 1)}
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var banner strings.Builder
	deadline := time.After(60 * time.Second)
	for !strings.Contains(banner.String(), "running until SIGINT") {
		select {
		case l, ok := <-lines:
			if !ok {
				cmd.Wait()
				t.Fatalf("sim %s ended before it ran:\n%s%s", args, banner.String(), stderr.String())
			}
			banner.WriteString(l + "\n")
		case <-deadline:
			cmd.Process.Kill()
			t.Fatalf("no banner from sim %s:\n%s", args, banner.String())
		}
	}
	p.banner = banner.String()
	go func() {
		var rest strings.Builder
		for l := range lines {
			rest.WriteString(l + "\n")
		}
		p.rest <- rest.String()
		p.exited <- cmd.Wait()
	}()
	t.Cleanup(func() { cmd.Process.Kill() })
	return p
}

// stop sends sig and returns what was printed after the banner; the
// command must end at once with exit status 0.
func (p *simProcess) stop(t *testing.T, sig syscall.Signal) string {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case rest := <-p.rest:
		if err := <-p.exited; err != nil {
			t.Errorf("after %s: %v", sig, err)
		}
		return rest
	case <-time.After(15 * time.Second):
		t.Fatalf("still running 15s after %s", sig)
	}
	return ""
}

func field(t *testing.T, banner, pattern string) []string {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(banner)
	if m == nil {
		t.Fatalf("banner lacks %s:\n%s", pattern, banner)
	}
	return m[1:]
}

func controlCounts(t *testing.T, hc *http.Client, url string) map[string]int {
	t.Helper()
	resp, err := hc.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Total    int            `json:"total"`
		Requests map[string]int `json:"requests"`
	}
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&body) != nil {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	return body.Requests
}

// The standalone simulators start, print what they promise, answer with
// the printed credentials (the Proxmox one behind the printed, pinned
// fingerprint), count that on their control path, and stop on a signal.
func TestSimCommands(t *testing.T) {
	bin := buildBinary(t)

	t.Run("proxmox", func(t *testing.T) {
		p := startSim(t, bin, "proxmox", "--listen", "127.0.0.1:0", "--latency", "1ms")
		ep := field(t, p.banner, `(?m)^endpoint  lab   (https://127\.0\.0\.1:\d+)  fingerprint ((?:[0-9A-F]{2}:){31}[0-9A-F]{2})$`)
		field(t, p.banner, `(?m)^endpoint  edge  https://127\.0\.0\.1:\d+  fingerprint `)
		cred := field(t, p.banner, `(?m)^header    Authorization: PVEAPIToken=(\S+)=(\S+)$`)
		control := field(t, p.banner, `(?m)^requests  (\S+)  `)[0]
		if control != ep[0]+pvesim.ControlRequestsPath {
			t.Errorf("control path %s, want it on %s", control, ep[0])
		}
		pin, err := ParseFingerprint(ep[1])
		if err != nil {
			t.Fatal(err)
		}
		c, err := proxmox.NewClient(proxmox.Config{Name: "lab", URL: ep[0], TokenID: cred[0], TokenSecret: cred[1],
			TLS: proxmox.TLSConfig{Fingerprint: pin}})
		if err != nil {
			t.Fatal(err)
		}
		ver, err := c.Version(context.Background())
		if err != nil || ver != "9.1.1" {
			t.Fatalf("version with the printed token and pin: %q %v", ver, err)
		}
		// The pin is what was checked: another one is refused.
		wrong := bytes.Clone(pin)
		wrong[0] ^= 0xff
		c2, _ := proxmox.NewClient(proxmox.Config{Name: "lab", URL: ep[0], TokenID: cred[0], TokenSecret: cred[1],
			TLS: proxmox.TLSConfig{Fingerprint: wrong}})
		if _, err := c2.Version(context.Background()); err == nil {
			t.Error("a wrong pin was accepted")
		}
		hc := &http.Client{Transport: pinnedTransport(t, pin)}
		if got := controlCounts(t, hc, control); got["GET /version"] != 1 || len(got) != 1 {
			t.Errorf("control counts %v, want GET /version once", got)
		}
		if rest := p.stop(t, syscall.SIGINT); !strings.Contains(rest, "stopped after 1 requests") {
			t.Errorf("after SIGINT: %q", rest)
		}
	})

	t.Run("netbox", func(t *testing.T) {
		p := startSim(t, bin, "netbox", "--version", "4.4", "--plugin", "--listen", "127.0.0.1:0")
		field(t, p.banner, `(?m)^NetBox 4\.4\.\d+ simulator, with the netbox-proxbox plugin$`)
		url := field(t, p.banner, `(?m)^url       (http://127\.0\.0\.1:\d+)$`)[0]
		token := field(t, p.banner, `(?m)^token     (\S+)  `)[0]
		if strings.Contains(p.banner, "token v2") {
			t.Errorf("NetBox 4.4 has no v2 tokens:\n%s", p.banner)
		}
		nb, err := netbox.NewClient(netbox.ClientConfig{URL: url, Token: token})
		if err != nil {
			t.Fatal(err)
		}
		inst, err := nb.Preflight(context.Background())
		if err != nil || !inst.Plugin || !strings.HasPrefix(inst.Version, "4.4") {
			t.Fatalf("preflight with the printed token: %+v %v", inst, err)
		}
		got := controlCounts(t, http.DefaultClient, url+nbsim.ControlRequestsPath)
		if got["GET /api/status/"] < 1 {
			t.Errorf("control counts %v lack GET /api/status/", got)
		}
		if rest := p.stop(t, syscall.SIGTERM); !strings.Contains(rest, "stopped after ") {
			t.Errorf("after SIGTERM: %q", rest)
		}
	})
}

// pinnedTransport trusts exactly the certificate with the given SHA-256.
func pinnedTransport(t *testing.T, pin []byte) *http.Transport {
	t.Helper()
	return &http.Transport{TLSClientConfig: &tls.Config{
		InsecureSkipVerify: true, // replaced by the pin check below
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) == 0 {
				return errors.New("no certificate")
			}
			if sum := sha256.Sum256(raw[0]); !bytes.Equal(sum[:], pin) {
				return errors.New("certificate does not match the pin")
			}
			return nil
		},
	}}
}

func TestSimRefusesBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"sim", "proxmox", "--preset", "nope"}, `unknown preset "nope" (presets: demo, large)`},
		{[]string{"sim", "proxmox", "--fault-rate", "1.5"}, "--fault-rate 1.5: want a share between 0 and 1"},
		{[]string{"sim", "proxmox", "--listen", "127.0.0.1"}, `--listen "127.0.0.1": `},
		{[]string{"sim", "proxmox", "--listen", "127.0.0.1:65535"}, `want a port from 0 to 65534`},
		{[]string{"sim"}, "sim: which simulator? proxmox or netbox"},
		{[]string{"sim", "pbs"}, `sim: unknown simulator "pbs": proxmox or netbox`},
		{[]string{"sim", "netbox", "--version", "3.7"}, `--version "3.7": the simulator has NetBox 4.0, 4.1, 4.2, 4.3, 4.4, 4.5, 4.6`},
	} {
		var out, errOut bytes.Buffer
		code := run(tc.args, strings.NewReader(""), &out, &errOut, testEnv(nil))
		if code != 1 || !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("%q: exit %d, stderr %q, want %q", tc.args, code, errOut.String(), tc.want)
		}
	}
}

func TestFollowingAddrs(t *testing.T) {
	for _, tc := range []struct {
		addr string
		n    int
		want string
	}{
		{"127.0.0.1:8006", 3, "127.0.0.1:8006 127.0.0.1:8007 127.0.0.1:8008"},
		{"127.0.0.1:0", 2, "127.0.0.1:0 127.0.0.1:0"},
		{"[::1]:9000", 2, "[::1]:9000 [::1]:9001"},
	} {
		got, err := followingAddrs(tc.addr, tc.n)
		if err != nil || strings.Join(got, " ") != tc.want {
			t.Errorf("%s x%d: %v %v, want %s", tc.addr, tc.n, got, err, tc.want)
		}
	}
}
