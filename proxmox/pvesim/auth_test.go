package pvesim

import (
	"net/http"
	"net/url"
	"testing"
	"time"
)

func TestTokenAuth(t *testing.T) {
	srv, _ := startDemoEndpoint(t, 0, Options{})
	tests := []struct {
		name     string
		auth     string
		path     string
		wantLine string
	}{
		{"no credentials", "", "/version", "401 No ticket"},
		{"wrong secret", "PVEAPIToken=" + RootTokenID + "=nope", "/version", "401 invalid token value!"},
		{"unknown token", "PVEAPIToken=root@pam!other=x", "/version", "401 no such token 'other' for user 'root@pam'"},
		{"space form", "PVEAPIToken " + RootTokenID + "=" + RootTokenSecret, "/version", "200 OK"},
		{"root", rootAuth, "/cluster/status", "200 OK"},
		{"tui sees jobs", tuiAuth, "/cluster/backup", "200 OK"},
		{"tui lacks Datastore.Allocate", tuiAuth, "/storage/pbs", "403 Permission check failed (/storage/pbs, Datastore.Allocate)"},
		{"auditor lists content", auditorAuth, "/nodes/pve1/storage/pbs/content", "200 OK"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, srv, "GET", tc.path, tc.auth, "")
			if r.line != tc.wantLine {
				t.Errorf("got %q, want %q (%s)", r.line, tc.wantLine, r.body)
			}
			if r.status == 401 && string(r.body) != `{"data":null,"message":"`+tc.wantLine[4:]+`\n"}` {
				t.Errorf("401 body %s", r.body)
			}
		})
	}
}

// TestAuditorSeesNoBackups reproduces check_volume_access: PVEAuditor gets
// an empty content list, no error; the TUI role sees everything.
func TestAuditorSeesNoBackups(t *testing.T) {
	srv, _ := startDemoEndpoint(t, 0, Options{})
	for _, storage := range []string{"pbs", "nfs-backup", "local"} {
		path := "/nodes/pve1/storage/" + storage + "/content?content=backup"
		aud := do(t, srv, "GET", path, auditorAuth, "")
		if aud.status != 200 || len(aud.list(t)) != 0 {
			t.Errorf("%s: auditor got %s %d items", storage, aud.line, len(aud.list(t)))
		}
		tui := do(t, srv, "GET", path, tuiAuth, "").list(t)
		root := get(t, srv, path).list(t)
		// The non-standard file has no owner: only Datastore.Allocate shows it.
		want := len(root)
		if storage == "nfs-backup" {
			want--
		}
		if len(tui) != want || len(root) == 0 {
			t.Errorf("%s: tui sees %d, root %d", storage, len(tui), len(root))
		}
	}
}

// TestACLPerToken: missing privileges give Proxmox's 403 on the path that
// checks them, and lists are filtered silently.
func TestACLPerToken(t *testing.T) {
	tokens := append(DefaultTokens(),
		Token{ID: "noaudit@pve!t", Secret: "s", ACL: map[string][]string{"/": {"VM.Audit", "Datastore.Audit"}}},
		Token{ID: "onevm@pve!t", Secret: "s", ACL: map[string][]string{"/": {"Sys.Audit"}, "/vms/100": {"VM.Audit"}}},
	)
	srv, _ := startDemoEndpoint(t, 0, Options{Tokens: tokens})
	noAudit := "PVEAPIToken=noaudit@pve!t=s"
	oneVM := "PVEAPIToken=onevm@pve!t=s"
	tests := []struct {
		auth, path, wantLine string
	}{
		{noAudit, "/cluster/status", "403 Permission check failed (/, Sys.Audit)"},
		{noAudit, "/cluster/backup", "403 Permission check failed (/, Sys.Audit)"},
		{noAudit, "/cluster/backup-info/not-backed-up", "403 Permission check failed (/, Sys.Audit)"},
		{noAudit, "/nodes/pve1/status", "403 Permission check failed (/nodes/pve1, Sys.Audit)"},
		{oneVM, "/nodes/pve1/qemu/102/config", "403 Permission check failed (/vms/102, VM.Audit)"},
		{oneVM, "/nodes/pve1/qemu/100/config", "200 OK"},
		{oneVM, "/nodes/pve1/storage/pbs/content", "403 Permission check failed (/storage/pbs, Datastore.Audit|Datastore.AllocateSpace)"},
	}
	for _, tc := range tests {
		if r := do(t, srv, "GET", tc.path, tc.auth, ""); r.line != tc.wantLine {
			t.Errorf("%s: %q, want %q", tc.path, r.line, tc.wantLine)
		}
	}
	vms := do(t, srv, "GET", "/cluster/resources?type=vm", oneVM, "").list(t)
	if len(vms) != 1 || vms[0]["vmid"] != 100.0 {
		t.Errorf("resources filtered by VM.Audit: %v", vms)
	}
	if n := len(do(t, srv, "GET", "/nodes/pve1/qemu", oneVM, "").list(t)); n != 1 {
		t.Errorf("qemu list filtered: %d", n)
	}
}

// TestTicketAuth: login, cookie, CSRF on writes, renewal, expiry.
func TestTicketAuth(t *testing.T) {
	srv, clock := startDemoEndpoint(t, 0, Options{})
	bad := do(t, srv, "POST", "/access/ticket", "", `{"username":"root@pam","password":"wrong"}`)
	if bad.line != "401 authentication failure" {
		t.Errorf("bad password: %s", bad.line)
	}
	login := do(t, srv, "POST", "/access/ticket", "", `{"username":"root","realm":"pam","password":"`+RootPassword+`"}`).object(t)
	ticket, csrf := login["ticket"].(string), login["CSRFPreventionToken"].(string)
	if login["username"] != "root@pam" || login["clustername"] != "lab" || ticket == "" || csrf == "" {
		t.Fatalf("login: %v", login)
	}
	if _, ok := login["cap"].(map[string]any)["vms"]; !ok {
		t.Errorf("cap: %v", login["cap"])
	}
	cookie := "PVEAuthCookie=" + url.QueryEscape(ticket)
	if r := do(t, srv, "GET", "/cluster/status", "", "", "Cookie", cookie); r.status != 200 {
		t.Errorf("cookie GET: %s", r.line)
	}
	if r := do(t, srv, "GET", "/version", "PVEAuthCookie="+ticket, ""); r.status != 200 {
		t.Errorf("ticket in Authorization: %s", r.line)
	}
	post := `{"vmid":"100","storage":"pbs"}`
	if r := do(t, srv, "POST", "/nodes/pve1/vzdump", "", post, "Cookie", cookie); r.line != "401 Permission denied - invalid csrf token" {
		t.Errorf("POST without CSRF: %s", r.line)
	}
	if r := do(t, srv, "POST", "/nodes/pve1/vzdump", "", post, "Cookie", cookie, "CSRFPreventionToken", csrf); r.status != 200 {
		t.Errorf("POST with CSRF: %s %s", r.line, r.body)
	}
	// Renewal: the ticket as password.
	renew := do(t, srv, "POST", "/access/ticket", "", `{"username":"root@pam","password":"`+ticket+`"}`)
	if renew.status != 200 {
		t.Errorf("renewal: %s", renew.line)
	}
	clock.Advance(2*time.Hour + time.Minute)
	if r := do(t, srv, "GET", "/version", "", "", "Cookie", cookie); r.line != "401 permission denied - invalid PVE ticket" {
		t.Errorf("expired ticket: %s", r.line)
	}
	// Tokens cannot be used to log in: the endpoint ignores them and wants a password.
	if r := do(t, srv, "POST", "/access/ticket", rootAuth, `{"username":"root@pam"}`); r.status != 400 {
		t.Errorf("ticket without password: %s", r.line)
	}
}

func TestAuthFailureDelay(t *testing.T) {
	srv, _ := startDemoEndpoint(t, 0, Options{AuthFailureDelay: 150 * time.Millisecond})
	start := time.Now()
	r := do(t, srv, "GET", "/version", "", "")
	if r.status != http.StatusUnauthorized || time.Since(start) < 150*time.Millisecond {
		t.Errorf("401 after %v: %s", time.Since(start), r.line)
	}
}
