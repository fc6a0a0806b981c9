package nbsim

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"
)

// The model rules (Django clean() and save() overrides, and signals) that
// a Proxmox sync runs into.

// cleanVM: placement, host device, the aggregate disk rule and primary
// IPs, worded per version.
func cleanVM(c *writeCtx) {
	v := c.s.version
	cluster := c.get("virtualization.cluster", c.f["cluster"])
	site := c.get("dcim.site", c.f["site"])
	device := c.get("dcim.device", c.f["device"])
	if atLeast(v, "4.6") {
		if site == nil && cluster == nil && device == nil {
			c.errs.add("__all__", "A virtual machine must be assigned to a site, cluster, or device.")
		}
	} else if site == nil && cluster == nil {
		c.errs.add("cluster", "A virtual machine must be assigned to a site and/or cluster.")
	}
	if cluster != nil && site != nil {
		if cs, ok := asInt(cluster.f["_site"]); ok && cs != site.id {
			c.errs.add("cluster", fmt.Sprintf("The selected cluster (%s) is not assigned to this site (%s).", str(cluster.f["name"]), str(site.f["name"])))
		}
	}
	if device != nil {
		devCluster := c.get("virtualization.cluster", device.f["cluster"])
		switch {
		case cluster == nil && !atLeast(v, "4.6"):
			c.errs.add("device", "Must specify a cluster when assigning a host device.")
		case cluster != nil && (devCluster == nil || devCluster.id != cluster.id),
			cluster == nil && devCluster != nil:
			cn := ""
			if cluster != nil {
				cn = str(cluster.f["name"])
			}
			c.errs.add("device", fmt.Sprintf("The selected device (%s) is not assigned to this cluster (%s).", c.vw.beh.display(c.s.st, device), cn))
		}
	}
	if !c.create {
		total := c.s.diskTotal(c.old.id)
		disk, isSet := asInt(c.f["disk"])
		switch {
		case total > 0 && c.f["disk"] == nil:
			c.f["disk"] = int64(total)
		case total > 0 && (!isSet || disk != total):
			c.errs.add("disk", fmt.Sprintf("The specified disk size (%d) must match the aggregate size of assigned virtual disks (%d).", disk, total))
		}
	}
	for fam, field := range map[int]string{4: "primary_ip4", 6: "primary_ip6"} {
		ip := c.get("ipam.ipaddress", c.f[field])
		if ip == nil {
			continue
		}
		p, _ := netip.ParsePrefix(str(ip.f["address"]))
		if got := ipFamily(p); got != fam {
			c.errs.add(field, fmt.Sprintf("Must be an IPv%d address. (%s is an IPv%d address.)", fam, str(ip.f["address"]), got))
			continue
		}
		if c.create || !c.s.ipOnVM(ip, c.old.id) {
			c.errs.add(field, fmt.Sprintf("The specified IP address (%s) is not assigned to this VM.", str(ip.f["address"])))
		}
	}
	if len(c.errs) > 0 {
		return
	}
	// save(): the site follows the cluster (and 4.6's host device).
	if site == nil && cluster != nil {
		if cs, ok := asInt(cluster.f["_site"]); ok {
			c.f["site"] = cs
		}
	}
	if c.f["site"] == nil && device != nil {
		c.f["site"] = device.f["site"]
	}
	// 4.6: a VM type's defaults fill what the VM leaves empty, at creation.
	if vt := c.get("virtualization.virtualmachinetype", c.f["virtual_machine_type"]); vt != nil && c.create {
		for vmField, typeField := range map[string]string{"vcpus": "default_vcpus", "memory": "default_memory", "platform": "default_platform"} {
			if c.f[vmField] == nil {
				c.f[vmField] = vt.f[typeField]
			}
		}
	}
}

func ipFamily(p netip.Prefix) int {
	if p.Addr().Is4() {
		return 4
	}
	return 6
}

func (s *Server) diskTotal(vmID int) int {
	total := 0
	for _, d := range s.st.children("virtualization.virtualmachine", vmID, "virtualization.virtualdisk", "virtual_machine") {
		total += asIntOr(d.f["size"])
	}
	return total
}

// ipOnVM reports whether ip is assigned to one of the VM's interfaces.
func (s *Server) ipOnVM(ip *object, vmID int) bool {
	if str(ip.f["assigned_object_type"]) != "virtualization.vminterface" {
		return false
	}
	iface := s.st.get("virtualization.vminterface", asIntOr(ip.f["assigned_object_id"]))
	return iface != nil && asIntOr(iface.f["virtual_machine"]) == vmID
}

// cleanCluster: placement (site up to 4.1, scope from 4.2) and the cached
// site the uniqueness and the VMs use.
func cleanCluster(c *writeCtx) {
	if !atLeast(c.s.version, "4.2") {
		c.f["_site"] = c.f["site"]
		return
	}
	typ, _ := c.f["scope_type"].(string)
	c.f["_site"] = nil
	if typ == "" {
		c.f["scope_type"], c.f["scope_id"] = nil, nil
		return
	}
	switch typ {
	case "dcim.region", "dcim.sitegroup", "dcim.site", "dcim.location":
	default:
		c.errs.add("scope_type", "Invalid content type: "+typ)
		return
	}
	id, ok := asInt(c.f["scope_id"])
	if !ok {
		c.errs.add("__all__", "Please select a "+strings.TrimPrefix(typ, "dcim.")+".")
		return
	}
	if c.s.st.get(typ, id) == nil {
		c.errs.add("scope", fmt.Sprintf(msgRelatedPK, id))
		return
	}
	if typ == "dcim.site" {
		c.f["_site"] = id
		if !c.create {
			n := 0
			for _, d := range c.s.st.children("virtualization.cluster", c.old.id, "dcim.device", "cluster") {
				if asIntOr(d.f["site"]) != id {
					n++
				}
			}
			if n > 0 {
				site := c.s.st.get("dcim.site", id)
				c.errs.add("scope", fmt.Sprintf("%d devices are assigned as hosts for this cluster but are not in site %s", n, str(site.f["name"])))
			}
		}
	}
}

func cleanDevice(c *writeCtx) {
	if cluster := c.get("virtualization.cluster", c.f["cluster"]); cluster != nil {
		if cs, ok := asInt(cluster.f["_site"]); ok && cs != asIntOr(c.f["site"]) {
			site := c.s.st.get("dcim.site", cs)
			c.errs.add("cluster", fmt.Sprintf("The assigned cluster belongs to a different site (%s)", str(site.f["name"])))
		}
	}
	c.s.cleanDevicePrimaryIPs(c)
}

func cleanMAC(c *writeCtx) {
	norm, ok := normalizeMAC(str(c.f["mac_address"]))
	if !ok {
		c.errs.add("mac_address", "Invalid MAC address format: "+str(c.f["mac_address"]))
		return
	}
	c.f["mac_address"] = norm
	typ, _ := c.f["assigned_object_type"].(string)
	switch typ {
	case "", "dcim.interface", "virtualization.vminterface":
	default:
		c.errs.add("assigned_object_type", "Invalid content type: "+typ)
		return
	}
	if typ != "" {
		id, ok := asInt(c.f["assigned_object_id"])
		if !ok || c.s.st.get(typ, id) == nil {
			c.errs.add("assigned_object_id", fmt.Sprintf(msgRelatedPK, id))
			return
		}
	}
	if !c.create && (str(c.old.f["assigned_object_type"]) != typ || asIntOr(c.old.f["assigned_object_id"]) != asIntOr(c.f["assigned_object_id"])) {
		if iface := c.s.st.get(str(c.old.f["assigned_object_type"]), asIntOr(c.old.f["assigned_object_id"])); iface != nil &&
			asIntOr(iface.f["primary_mac_address"]) == c.old.id {
			c.errs.add("__all__", "Cannot unassign MAC Address while it is designated as the primary MAC for an object")
		}
	}
}

// normalizeMAC accepts the EUI-48 spellings netaddr accepts and renders
// NetBox's upper-case colon form.
func normalizeMAC(s string) (string, bool) {
	hex := strings.NewReplacer(":", "", "-", "", ".", "").Replace(strings.TrimSpace(s))
	if len(hex) != 12 {
		return "", false
	}
	var b strings.Builder
	for i := 0; i < 12; i++ {
		ch := hex[i]
		switch {
		case ch >= '0' && ch <= '9', ch >= 'a' && ch <= 'f', ch >= 'A' && ch <= 'F':
		default:
			return "", false
		}
		if i > 0 && i%2 == 0 {
			b.WriteByte(':')
		}
		b.WriteByte(ch)
	}
	return strings.ToUpper(b.String()), true
}

// cleanIP: address syntax, the global-table uniqueness
// (ENFORCE_GLOBAL_UNIQUE), assignment, and the primary-IP lock.
func cleanIP(c *writeCtx) {
	raw := str(c.f["address"])
	p, err := netip.ParsePrefix(raw)
	if err != nil {
		a, err2 := netip.ParseAddr(raw)
		if err2 != nil || a.Zone() != "" {
			c.errs.add("address", "Invalid IP address format: "+raw)
			return
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	if p.Bits() == 0 {
		c.errs.add("address", "Cannot create IP address with /0 mask.")
		return
	}
	c.f["address"] = p.String()
	if dns, ok := c.f["dns_name"].(string); ok {
		c.f["dns_name"] = strings.ToLower(dns)
	}
	role, _ := c.f["role"].(string)
	switch role {
	case "anycast", "vip", "vrrp", "hsrp", "glbp", "carp":
	default:
		key, _ := ipHostKey(c.vw, c.f)
		dup := 0
		for id := range c.s.st.ipHost[key] {
			if id != c.id() && (dup == 0 || id < dup) {
				dup = id
			}
		}
		if dup != 0 {
			table := "global table"
			if c.f["vrf"] != nil {
				table = "VRF"
			}
			c.errs.add("address", fmt.Sprintf("Duplicate IP address found in %s: %s", table, str(c.s.st.get("ipam.ipaddress", dup).f["address"])))
		}
	}
	typ, _ := c.f["assigned_object_type"].(string)
	switch typ {
	case "":
		c.f["assigned_object_type"], c.f["assigned_object_id"] = nil, nil
	case "dcim.interface", "virtualization.vminterface", "ipam.fhrpgroup":
		id, ok := asInt(c.f["assigned_object_id"])
		if !ok || c.s.st.get(typ, id) == nil {
			c.errs.add("assigned_object_id", fmt.Sprintf(msgRelatedPK, id))
		}
	default:
		c.errs.add("assigned_object_type", "Invalid content type: "+typ)
	}
	if !c.create && (str(c.old.f["assigned_object_type"]) != str(c.f["assigned_object_type"]) ||
		asIntOr(c.old.f["assigned_object_id"]) != asIntOr(c.f["assigned_object_id"])) && c.s.isPrimaryIP(c.old) {
		c.errs.add("__all__", "Cannot reassign IP address while it is designated as the primary IP for the parent object")
	}
}

// isPrimaryIP reports whether ip is its parent VM's or device's primary.
func (s *Server) isPrimaryIP(ip *object) bool {
	for _, br := range s.st.referrers("ipam.ipaddress", ip.id, "") {
		if br.field == "primary_ip4" || br.field == "primary_ip6" || br.field == "oob_ip" {
			return true
		}
	}
	return false
}

func cleanCustomField(c *writeCtx) {
	name := str(c.f["name"])
	if strings.Contains(name, "__") {
		c.errs.add("name", "Double underscores are not permitted in custom field names.")
	}
	if !c.create && c.sent["type"] && str(c.old.f["type"]) != str(c.f["type"]) {
		c.errs.add("type", "Changing the type of custom fields is not supported.")
	}
	typ := str(c.f["type"])
	hasSet := c.f["choice_set"] != nil
	switch {
	case (typ == "select" || typ == "multiselect") && !hasSet:
		c.errs.add("choice_set", "Selection fields must specify a set of choices.")
	case typ != "select" && typ != "multiselect" && hasSet:
		c.errs.add("choice_set", "Choices may be set only on selection fields.")
	}
	if (typ == "object" || typ == "multiobject") && c.f["related_object_type"] == nil {
		c.errs.add("related_object_type", "Object fields must define an object type.")
	}
}

// The plugin's ProxmoxEndpoint rules (models/base.py, models/fields.py,
// models/proxmox_endpoint.py, models/ssh_credential.py), as full_clean
// reports them.
var (
	reDomainFQDN   = regexp.MustCompile(`^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z0-9]{2,}$`)
	reDomainSimple = regexp.MustCompile(`^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$`)
	reFingerprint  = regexp.MustCompile(`^SHA256:[A-Za-z0-9+/]{43}=?$`)
)

const msgServiceMonitoring = "Service monitoring requires write permission (allow_writes), SSH access " +
	"(api_ssh), a registered SSH credential, and netbox-rpc installed and " +
	"enabled for this endpoint (effective rpc_enabled). Monitoring dispatches " +
	"an RPC execution each tick, which the backend rejects while RPC is " +
	"disabled or unavailable."

func cleanEndpoint(c *writeCtx) {
	// clean_fields: DomainField's max_length and validate_domain.
	domain := str(c.f["domain"])
	if domain != "" {
		if n := len([]rune(domain)); n > 253 {
			c.errs.add("domain", fmt.Sprintf("Ensure this value has at most 253 characters (it has %d).", n))
		}
		if domain != "localhost" && !reDomainFQDN.MatchString(domain) && !reDomainSimple.MatchString(domain) {
			c.errs.add("domain", domain+" is not a valid domain name")
		}
	}
	// EndpointBase.clean.
	if strings.TrimSpace(domain) == "" && c.f["ip_address"] == nil {
		c.errs.add("domain", "Provide either a domain or an IP address.")
		c.errs.add("ip_address", "Provide either a domain or an IP address.")
		return
	}
	// ProxmoxEndpoint.clean; each raise ends it.
	if fp := str(c.f["ssh_known_host_fingerprint"]); fp != "" {
		norm, msg := normalizeFingerprint(fp)
		if msg != "" {
			c.errs.add("__all__", msg)
			return
		}
		c.f["ssh_known_host_fingerprint"] = norm
	}
	if b, _ := c.f["service_monitoring_enabled"].(bool); b {
		// Never eligible here: it needs netbox-rpc (and the auto-disable
		// path needs a row saved with monitoring on, which this rule
		// never lets through).
		c.errs.add("__all__", msgServiceMonitoring)
		return
	}
	fp := str(c.f["ssh_known_host_fingerprint"])
	if str(c.f["ssh_credential_source"]) == "reuse_endpoint" {
		if str(c.f["password"]) == "" {
			c.errs.add("ssh_credential_source", "Reusing endpoint credentials for SSH requires a stored "+
				"endpoint password; token-only endpoints cannot be reused.")
		}
		if fp == "" {
			c.errs.add("ssh_known_host_fingerprint", "Pinned host-key fingerprint is required when reusing "+
				"endpoint credentials for SSH.")
		}
		return
	}
	// Dedicated SSH fallback: the secrets are not serializer fields, so a
	// row given any SSH value through the API is always incomplete.
	user := str(c.f["ssh_username"])
	if user == "" && fp == "" {
		return
	}
	if user == "" {
		c.errs.add("ssh_username", "SSH username is required for endpoint fallback.")
	}
	if fp == "" {
		c.errs.add("ssh_known_host_fingerprint", "Pinned host-key fingerprint is required for endpoint fallback.")
	}
	if str(c.f["ssh_auth_method"]) == "password" {
		c.errs.add("ssh_auth_method", "Password authentication requires a password.")
	} else {
		c.errs.add("ssh_auth_method", "Key authentication requires a private key.")
	}
}

// normalizeFingerprint is ssh_credential.normalize_fingerprint.
func normalizeFingerprint(v string) (string, string) {
	text := strings.TrimSpace(v)
	if strings.HasPrefix(strings.ToLower(text), "md5:") {
		return "", "MD5 host-key fingerprints are not accepted — use the SHA-256 form."
	}
	canonical := "SHA256:" + strings.TrimRight(text, "=")
	if strings.HasPrefix(strings.ToLower(text), "sha256:") {
		_, body, _ := strings.Cut(text, ":")
		canonical = "SHA256:" + strings.TrimRight(body, "=")
	}
	if !reFingerprint.MatchString(canonical) && !reFingerprint.MatchString(canonical+"=") {
		return "", "Host-key fingerprint must be SHA256:<base64> (43 base64 characters)."
	}
	return canonical, ""
}

// endpointIP is the host of an endpoint's IP address, "" without one
// (CommonProperties.ip).
func endpointIP(st *store, o *object) string {
	ip := st.get("ipam.ipaddress", asIntOr(o.f["ip_address"]))
	if ip == nil {
		return ""
	}
	if p, err := netip.ParsePrefix(str(ip.f["address"])); err == nil {
		return p.Addr().String()
	}
	return str(ip.f["address"])
}

// endpointSSHComplete is has_ssh_terminal_credentials: only the reuse
// source can be complete, since the dedicated secrets are never set.
func endpointSSHComplete(st *store, o *object) bool {
	if str(o.f["ssh_credential_source"]) != "reuse_endpoint" {
		return false
	}
	host := strings.TrimSpace(str(o.f["domain"]))
	if host == "" {
		host = endpointIP(st, o)
	}
	user, _, _ := strings.Cut(str(o.f["username"]), "@")
	return host != "" && str(o.f["ssh_known_host_fingerprint"]) != "" && strings.TrimSpace(user) != "" && str(o.f["password"]) != ""
}

// cleanPluginSettings: ProxboxPluginSettings.clean (and the serializer's
// validate, which says the same).
func cleanPluginSettings(c *writeCtx) {
	timeout, ok1 := toFloat(c.f["ceph_task_timeout"])
	poll, ok2 := toFloat(c.f["ceph_task_poll_interval"])
	if ok1 && ok2 && c.f["ceph_task_timeout"] != nil && c.f["ceph_task_poll_interval"] != nil && poll > timeout {
		c.errs.add("ceph_task_poll_interval", "Ceph task polling interval must not exceed the Ceph task timeout.")
	}
}

// afterSave runs what NetBox's signals do after a row is saved.
func (s *Server) afterSave(tx *tx, vw *view, o *object) {
	if vw.key == "virtualization.virtualdisk" {
		s.syncVMDisk(tx, asIntOr(o.f["virtual_machine"]))
		if old, ok := o.f["_vm"].(int); ok && old != asIntOr(o.f["virtual_machine"]) {
			s.syncVMDisk(tx, old)
		}
		o.f["_vm"] = asIntOr(o.f["virtual_machine"])
	}
}

func (s *Server) afterDelete(tx *tx, vw *view, o *object) {
	if vw.key == "virtualization.virtualdisk" {
		s.syncVMDisk(tx, asIntOr(o.f["virtual_machine"]))
	}
}

// syncVMDisk stores the sum of the VM's virtual disks as its disk, with a
// queryset update: last_updated does not move.
func (s *Server) syncVMDisk(tx *tx, vmID int) {
	vm := s.st.get("virtualization.virtualmachine", vmID)
	if vm == nil {
		return
	}
	disks := s.st.children("virtualization.virtualmachine", vmID, "virtualization.virtualdisk", "virtual_machine")
	f := cloneFields(vm.f)
	if len(disks) == 0 {
		f["disk"] = nil
	} else {
		f["disk"] = int64(s.diskTotal(vmID))
	}
	tx.update(s.views["virtualization.virtualmachine"], vm, f, vm.updated)
}
