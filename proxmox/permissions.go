package proxmox

import (
	"fmt"
	"strings"
)

// permissions is GET /access/permissions: path -> privilege -> propagate.
type permissions map[string]map[string]FlexInt

// has reports whether priv is granted on path: the privileges listed for
// the path itself, else those propagated from the nearest listed ancestor
// (a more specific ACL replaces what is inherited).
func (p permissions) has(path, priv string) bool {
	if privs, ok := p[path]; ok {
		_, granted := privs[priv]
		return granted
	}
	for anc := parentPath(path); anc != ""; anc = parentPath(anc) {
		if privs, ok := p[anc]; ok {
			prop, granted := privs[priv]
			return granted && prop != 0
		}
	}
	return false
}

func parentPath(p string) string {
	if p == "/" || p == "" {
		return ""
	}
	i := strings.LastIndex(p, "/")
	if i <= 0 {
		return "/"
	}
	return p[:i]
}

// MissingPrivilegeError says which privilege a token lacks for a scope:
// Proxmox filters what it may not show silently, so without this check a
// scope would look empty instead of forbidden.
type MissingPrivilegeError struct {
	Endpoint string
	Path     string
	Need     string
	Why      string
}

func (e *MissingPrivilegeError) Error() string {
	return fmt.Sprintf("endpoint %s: missing privilege %s on %s: %s", e.Endpoint, e.Need, e.Path, e.Why)
}

// backupListing checks what Proxmox requires to list backup volumes of a
// storage: Datastore.Allocate on it, or Datastore.AllocateSpace and
// VM.Backup (checked on /vms, as for every guest).
func (p permissions) backupListing(endpoint, storage string) error {
	path := "/storage/" + storage
	if p.has(path, "Datastore.Allocate") {
		return nil
	}
	if p.has(path, "Datastore.AllocateSpace") && p.has("/vms", "VM.Backup") {
		return nil
	}
	return &MissingPrivilegeError{Endpoint: endpoint, Path: path, Need: "Datastore.Allocate (or Datastore.AllocateSpace with VM.Backup on /vms)",
		Why: "Proxmox hides backup volumes from this token, so the backups of this storage are not listed"}
}
