package pvesim

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Token is an API token ("Authorization: PVEAPIToken=ID=SECRET").
type Token struct {
	ID     string // "user@realm!name"
	Secret string
	// ACL maps ACL paths ("/", "/storage/pbs", "/vms/100") to the privileges
	// granted there and below; the most specific path wins, as with
	// propagated ACLs in Proxmox. nil grants everything (root@pam, privsep=0).
	ACL map[string][]string
}

// User can log in with POST /access/ticket.
type User struct {
	Name     string // "root@pam"
	Password string
	ACL      map[string][]string // as Token.ACL
}

// Credentials of DefaultTokens and DefaultUsers.
const (
	RootTokenID        = "root@pam!sim"
	RootTokenSecret    = "5a0d1c3e-6f4b-4c8e-9d2a-000000000001"
	TUITokenID         = "tui@pve!ro"
	TUITokenSecret     = "5a0d1c3e-6f4b-4c8e-9d2a-000000000002"
	AuditorTokenID     = "audit@pve!ro"
	AuditorTokenSecret = "5a0d1c3e-6f4b-4c8e-9d2a-000000000003"
	RootUser           = "root@pam"
	RootPassword       = "sim-root-password"
)

// DefaultTokens returns the root token (everything), the TUI token (the custom
// role the reference recommends: sees backups, may back up and replicate) and
// an auditor token (PVEAuditor on "/": sees everything except backup volumes,
// which Proxmox silently filters out).
func DefaultTokens() []Token {
	return []Token{
		{ID: RootTokenID, Secret: RootTokenSecret},
		{ID: TUITokenID, Secret: TUITokenSecret, ACL: map[string][]string{"/": PrivsTUI()}},
		{ID: AuditorTokenID, Secret: AuditorTokenSecret, ACL: map[string][]string{"/": PrivsAuditor()}},
	}
}

// DefaultUsers returns root@pam with RootPassword.
func DefaultUsers() []User { return []User{{Name: RootUser, Password: RootPassword}} }

// PrivsAuditor is the PVEAuditor role.
func PrivsAuditor() []string {
	return []string{"Datastore.Audit", "Mapping.Audit", "Pool.Audit", "SDN.Audit", "Sys.Audit", "VM.Audit"}
}

// PrivsTUI is the role the reference recommends for proxbox-tui.
func PrivsTUI() []string {
	return append(PrivsAuditor(), "Datastore.AllocateSpace", "VM.Backup", "VM.Replicate", "VM.GuestAgent.Audit")
}

type authenticator struct {
	tokens map[string]Token
	users  map[string]User
	key    []byte // signs tickets and CSRF tokens
}

func newAuthenticator(opts Options) (*authenticator, error) {
	a := &authenticator{tokens: map[string]Token{}, users: map[string]User{}}
	tokens, users := opts.Tokens, opts.Users
	if tokens == nil {
		tokens = DefaultTokens()
	}
	if users == nil {
		users = DefaultUsers()
	}
	for _, t := range tokens {
		if _, _, ok := strings.Cut(t.ID, "!"); !ok || !strings.Contains(t.ID, "@") {
			return nil, fmt.Errorf("pvesim: token id %q is not user@realm!name", t.ID)
		}
		a.tokens[t.ID] = t
	}
	for _, u := range users {
		a.users[u.Name] = u
	}
	k := sha256.Sum256(binary.BigEndian.AppendUint64([]byte("pvesim-ticket-key"), uint64(opts.Seed)))
	a.key = k[:]
	return a, nil
}

// identity is an authenticated caller.
type identity struct {
	user  string // user@realm
	token string // token name, "" for ticket users
	acl   map[string][]string
}

// upidUser is the user as written into a UPID ("tui@pve!ro").
func (id *identity) upidUser() string {
	if id.token != "" {
		return id.user + "!" + id.token
	}
	return id.user
}

func (id *identity) can(path, priv string) bool {
	if id.acl == nil {
		return true
	}
	best, bestLen := []string(nil), -1
	for p, privs := range id.acl {
		if (p == "/" || path == p || strings.HasPrefix(path, p+"/")) && len(p) > bestLen {
			best, bestLen = privs, len(p)
		}
	}
	return slices.Contains(best, priv)
}

func (id *identity) check(pc *permCheck, vars map[string]string) error {
	path := pc.path
	for k, v := range vars {
		path = strings.ReplaceAll(path, "{"+k+"}", v)
	}
	if pc.any {
		for _, p := range pc.privs {
			if id.can(path, p) {
				return nil
			}
		}
		return errPerm(path, strings.Join(pc.privs, "|"))
	}
	for _, p := range pc.privs {
		if !id.can(path, p) {
			return errPerm(path, p)
		}
	}
	return nil
}

func errPerm(path, privs string) *apiError {
	return &apiError{status: 403, msg: "Permission check failed (" + path + ", " + privs + ")"}
}

func err401(msg string) *apiError { return &apiError{status: 401, msg: msg} }

// authenticate accepts an API token or a ticket (cookie or Authorization
// header), as pveproxy does. Ticket users must send the CSRF token on
// anything but GET.
func (a *authenticator) authenticate(r *http.Request, now time.Time) (*identity, *apiError) {
	hdr := r.Header.Get("Authorization")
	if v, ok := headerValue(hdr, "PVEAPIToken"); ok {
		return a.token(v)
	}
	ticket, _ := headerValue(hdr, "PVEAuthCookie")
	if ticket == "" {
		if c, err := r.Cookie("PVEAuthCookie"); err == nil {
			ticket, _ = url.PathUnescape(c.Value) // uri_unescape: "+" stays "+"
		}
	}
	if ticket == "" {
		return nil, err401("No ticket")
	}
	user, ok := a.verifyTicket(ticket, now)
	if !ok {
		return nil, err401("permission denied - invalid PVE ticket")
	}
	if r.Method != http.MethodGet && !a.verifyCSRF(r.Header.Get("CSRFPreventionToken"), user, now) {
		return nil, err401("Permission denied - invalid csrf token")
	}
	return &identity{user: user, acl: a.users[user].ACL}, nil
}

// headerValue finds "KEYWORD=value" or "KEYWORD value" at the start of the
// header or after whitespace, up to the next ';', URI-unescaped.
func headerValue(hdr, keyword string) (string, bool) {
	for i := 0; ; {
		j := strings.Index(hdr[i:], keyword)
		if j < 0 {
			return "", false
		}
		j += i
		end := j + len(keyword)
		if (j == 0 || hdr[j-1] == ' ' || hdr[j-1] == '\t') && end < len(hdr) && (hdr[end] == '=' || hdr[end] == ' ') {
			v := hdr[end+1:]
			if k := strings.IndexByte(v, ';'); k >= 0 {
				v = v[:k]
			}
			if u, err := url.PathUnescape(strings.TrimSpace(v)); err == nil {
				v = u
			}
			return v, true
		}
		i = end
	}
}

func (a *authenticator) token(v string) (*identity, *apiError) {
	k := strings.LastIndexByte(v, '=')
	if k < 0 {
		return nil, err401("no tokenid specified")
	}
	id, secret := v[:k], v[k+1:]
	user, name, _ := strings.Cut(id, "!")
	t, ok := a.tokens[id]
	if !ok {
		return nil, err401("no such token '" + name + "' for user '" + user + "'")
	}
	if !hmac.Equal([]byte(t.Secret), []byte(secret)) {
		return nil, err401("invalid token value!")
	}
	return &identity{user: user, token: name, acl: t.ACL}, nil
}

const ticketLifetime = 2 * time.Hour

func (a *authenticator) sign(s string) string {
	m := hmac.New(sha256.New, a.key)
	m.Write([]byte(s))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func (a *authenticator) newTicket(user string, now time.Time) (ticket, csrf string) {
	ts := strings.ToUpper(strconv.FormatInt(now.Unix(), 16))
	plain := "PVE:" + user + ":" + ts
	ticket = plain + "::" + a.sign(plain)
	csrf = ts + ":" + a.sign(ts + ":" + user)[:43]
	return ticket, csrf
}

func (a *authenticator) verifyTicket(ticket string, now time.Time) (string, bool) {
	plain, sig, ok := strings.Cut(ticket, "::")
	if !ok || !hmac.Equal([]byte(sig), []byte(a.sign(plain))) {
		return "", false
	}
	parts := strings.Split(plain, ":")
	if len(parts) != 3 || parts[0] != "PVE" {
		return "", false
	}
	ts, err := strconv.ParseInt(parts[2], 16, 64)
	if err != nil {
		return "", false
	}
	age := now.Unix() - ts
	if age < -300 || age > int64(ticketLifetime/time.Second) {
		return "", false
	}
	if _, ok := a.users[parts[1]]; !ok {
		return "", false
	}
	return parts[1], true
}

func (a *authenticator) verifyCSRF(tok, user string, now time.Time) bool {
	ts, sig, ok := strings.Cut(tok, ":")
	if !ok {
		return false
	}
	n, err := strconv.ParseInt(ts, 16, 64)
	if err != nil || now.Unix()-n > int64(ticketLifetime/time.Second) {
		return false
	}
	return hmac.Equal([]byte(sig), []byte(a.sign(ts + ":" + user)[:43]))
}

// hTicket is POST /access/ticket: password login, or renewal when the
// password is a valid ticket. Tokens cannot use it.
func hTicket(c *call) (*result, error) {
	a := c.s.auth
	user := c.str("username")
	if realm := c.str("realm"); realm != "" && !strings.Contains(user, "@") {
		user += "@" + realm
	}
	u, known := a.users[user]
	pw := c.str("password")
	valid := known && hmac.Equal([]byte(u.Password), []byte(pw))
	if !valid && known && strings.HasPrefix(pw, "PVE:") {
		if tu, ok := a.verifyTicket(pw, c.now); ok && tu == user {
			valid = true
		}
	}
	if !valid {
		return nil, err401("authentication failure")
	}
	ticket, csrf := a.newTicket(user, c.now)
	id := &identity{user: user, acl: u.ACL}
	var w jw
	w.obj()
	w.kStr("username", user)
	w.kStr("ticket", ticket)
	w.kStr("CSRFPreventionToken", csrf)
	w.oStr("clustername", c.t.ClusterName)
	w.key("cap")
	w.obj()
	for _, cat := range capCategories() {
		w.key(cat.name)
		w.obj()
		for _, p := range cat.privs {
			if id.can(cat.path, p) {
				w.kInt(p, 1)
			}
		}
		w.endObj()
	}
	w.endObj()
	w.endObj()
	return ok(&w)
}

type capCategory struct {
	name, path string
	privs      []string
}

func capCategories() []capCategory {
	return []capCategory{
		{"vms", "/vms", []string{"VM.Allocate", "VM.Audit", "VM.Backup", "VM.Clone", "VM.Config.Disk", "VM.Console",
			"VM.Migrate", "VM.PowerMgmt", "VM.Replicate", "VM.Snapshot", "VM.Snapshot.Rollback"}},
		{"storage", "/storage", []string{"Datastore.Allocate", "Datastore.AllocateSpace", "Datastore.AllocateTemplate", "Datastore.Audit"}},
		{"nodes", "/nodes", []string{"Sys.Audit", "Sys.Console", "Sys.Modify", "Sys.PowerMgmt", "Sys.Syslog"}},
		{"access", "/access", []string{"Group.Allocate", "User.Modify", "Permissions.Modify"}},
		{"dc", "/", []string{"Sys.Audit", "Sys.Modify", "SDN.Audit"}},
		{"sdn", "/sdn", []string{"SDN.Allocate", "SDN.Audit"}},
		{"mapping", "/mapping", []string{"Mapping.Audit", "Mapping.Modify", "Mapping.Use"}},
	}
}
