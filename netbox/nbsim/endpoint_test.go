package nbsim

import (
	"bytes"
	"encoding/json"
	"net/url"
	"sort"
	"strings"
	"testing"
)

const epPath = pb + "endpoints/proxmox/"

// objectKeys lists the keys of a JSON object in document order.
func objectKeys(t *testing.T, raw json.RawMessage) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %s", raw)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

// firstResult is the raw first object of a list answer.
func firstResult(t *testing.T, raw []byte) json.RawMessage {
	t.Helper()
	var env struct {
		Results []json.RawMessage `json:"results"`
	}
	if err := json.Unmarshal(raw, &env); err != nil || len(env.Results) == 0 {
		t.Fatalf("no results: %s", raw)
	}
	return env.Results[0]
}

var (
	syncModes = []string{"sync_mode_vm", "sync_mode_vm_template", "sync_mode_vm_interface", "sync_mode_mac",
		"sync_mode_ip_address", "sync_mode_cluster", "sync_mode_node", "sync_mode_storage", "sync_mode_sdn", "sync_mode_sdn_bgp"}
	overwrites = []string{"overwrite_device_role", "overwrite_device_type", "overwrite_device_tags", "overwrite_device_status",
		"overwrite_device_description", "overwrite_device_custom_fields", "overwrite_vm_role", "overwrite_vm_type",
		"overwrite_vm_tags", "overwrite_vm_proxmox_tags", "overwrite_vm_description", "overwrite_vm_custom_fields",
		"overwrite_vm_cloudinit", "overwrite_cluster_tags", "overwrite_cluster_description", "overwrite_cluster_custom_fields",
		"overwrite_node_interface_tags", "overwrite_node_interface_custom_fields", "overwrite_storage_tags",
		"overwrite_vm_interface_tags", "overwrite_vm_interface_custom_fields", "overwrite_ip_status", "overwrite_ip_tags",
		"overwrite_ip_custom_fields", "overwrite_ip_address_dns_name"}
)

func joined(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// TestEndpointRepresentation: ProxmoxEndpointSerializer's fields, order
// and defaults; its brief form; the nested IP address a client matches an
// endpoint by; the form other plugin rows nest an endpoint in.
func TestEndpointRepresentation(t *testing.T) {
	wantFields := joined([]string{"id", "url", "display", "name", "ip_address", "domain", "port", "mode", "environment",
		"version", "repoid", "username", "token_name", "verify_ssl", "enabled", "timeout", "max_retries", "retry_backoff",
		"ssh_credential_source", "ssh_username", "ssh_port", "ssh_auth_method", "ssh_known_host_fingerprint",
		"has_ssh_password", "has_ssh_private_key", "has_ssh_terminal_credentials", "service_monitoring_enabled",
		"service_monitoring_interval_minutes", "service_monitoring_units", "service_monitoring_last_success_at",
		"service_monitoring_last_status", "service_monitoring_last_error", "service_monitoring_eligible",
		"default_role_qemu", "default_role_lxc", "enable_tenant_name_regex", "tenant_name_regex_rules",
		"enable_tenant_tag_assignment", "enable_tenant_from_cluster", "allow_writes", "access_methods"},
		syncModes, overwrites,
		[]string{"rpc_enabled", "effective_rpc_enabled", "site", "tenant", "allowed_tenants", "tags", "custom_fields", "created", "last_updated"})
	for _, tc := range []struct {
		version string
		ipKeys  []string
	}{
		{"4.0", []string{"id", "url", "display", "family", "address"}},
		{"4.3", []string{"id", "url", "display_url", "display", "family", "address"}},
		{"4.6", []string{"id", "url", "display_url", "display", "family", "address"}},
	} {
		t.Run(tc.version, func(t *testing.T) {
			s, c := start(t, Options{Plugin: true, Version: tc.version})
			ip := s.MustSeed("ipam/ip-addresses", map[string]any{"address": "192.0.2.10/24", "description": "pve"})
			r := c.must(201, "POST", epPath, map[string]any{"name": "lab", "ip_address": ip, "mode": "cluster",
				"password": "pw-secret", "token_value": "tok-secret"})
			if got := objectKeys(t, r.raw); strings.Join(got, " ") != strings.Join(wantFields, " ") {
				t.Errorf("fields\n got %v\nwant %v", got, wantFields)
			}
			if bytes.Contains(r.raw, []byte("secret")) {
				t.Errorf("a secret is rendered: %s", r.raw)
			}
			o := r.m()
			var top, nested map[string]json.RawMessage
			if err := json.Unmarshal(r.raw, &top); err != nil {
				t.Fatal(err)
			}
			raw := top["ip_address"]
			if err := json.Unmarshal(raw, &nested); err != nil {
				t.Fatal(err)
			}
			if got := objectKeys(t, raw); strings.Join(got, " ") != strings.Join(tc.ipKeys, " ") {
				t.Errorf("ip_address keys %v, want %v", got, tc.ipKeys)
			}
			if string(nested["address"]) != `"192.0.2.10/24"` || string(nested["family"]) != "4" {
				t.Errorf("ip_address %s", raw)
			}
			defaults := map[string]any{
				"display": "lab (192.0.2.10)", "domain": nil, "port": 8006, "mode": map[string]any{"value": "cluster", "label": "Cluster"},
				"environment": nil, "username": "root@pam", "token_name": "", "verify_ssl": false, "enabled": true,
				"allow_writes": false, "access_methods": "api", "timeout": nil, "max_retries": nil, "retry_backoff": nil,
				"ssh_credential_source": "dedicated", "ssh_port": 22, "ssh_auth_method": "key", "service_monitoring_interval_minutes": 5,
				"service_monitoring_units": []any{}, "has_ssh_terminal_credentials": false, "effective_rpc_enabled": false,
				"default_role_qemu": nil, "default_role_lxc": nil, "site": nil, "tenant": nil, "allowed_tenants": []any{},
				"rpc_enabled": nil, "tenant_name_regex_rules": nil,
			}
			for _, f := range append(syncModes, overwrites...) {
				defaults[f] = nil
			}
			for k, want := range defaults {
				if !jsonEq(t, o[k], want) {
					t.Errorf("%s = %v, want %v", k, o[k], want)
				}
			}
			if bytes.Contains(r.raw, []byte("8006.0")) {
				t.Errorf("port rendered as a decimal: %s", r.raw)
			}
			// brief: Meta.brief_fields, with the serializer's display.
			b := c.must(200, "GET", epPath+"?brief=1", nil)
			first := firstResult(t, b.raw)
			if got := objectKeys(t, first); strings.Join(got, " ") != "id url display name domain port" {
				t.Errorf("brief keys %v", got)
			}
			if !bytes.Contains(first, []byte(`"display":"lab (192.0.2.10)"`)) {
				t.Errorf("brief %s", first)
			}
			// Other rows nest NestedProxmoxEndpointSerializer, display str().
			cl := c.must(201, "POST", pb+"proxmox-clusters/", map[string]any{"endpoint": id(o), "name": "lab"}).m()
			if !jsonEq(t, cl["endpoint"], map[string]any{"id": id(o), "url": o["url"], "display": "lab", "name": "lab"}) {
				t.Errorf("nested endpoint %v", cl["endpoint"])
			}
		})
	}
}

// TestEndpointDisplay: the serializer's get_display and the model's
// __str__ (nested forms, delete messages).
func TestEndpointDisplay(t *testing.T) {
	s, c := start(t, Options{Plugin: true})
	ip := s.MustSeed("ipam/ip-addresses", map[string]any{"address": "2001:db8::5/64"})
	for _, tc := range []struct {
		body          map[string]any
		display, str_ string
	}{
		{map[string]any{"name": "a", "domain": "pve.lab"}, "a (pve.lab)", "a"},
		{map[string]any{"name": "b", "ip_address": ip, "domain": "pve.lab"}, "b (2001:db8::5)", "b"},
		{map[string]any{"name": "", "domain": "pve2.lab"}, "Proxmox endpoint (pve2.lab)", "pve2.lab"},
		{map[string]any{"name": nil, "ip_address": ip}, "Proxmox endpoint (2001:db8::5)", "2001:db8::5"},
	} {
		tc.body["mode"] = "undefined"
		o := c.must(201, "POST", epPath, tc.body).m()
		if o["display"] != tc.display {
			t.Errorf("%v: display %q, want %q", tc.body, o["display"], tc.display)
		}
		cl := c.must(201, "POST", pb+"proxmox-clusters/", map[string]any{"endpoint": id(o), "name": "c" + itoa(id(o))}).m()
		if d := cl["endpoint"].(map[string]any)["display"]; d != tc.str_ {
			t.Errorf("%v: nested display %q, want %q", tc.body, d, tc.str_)
		}
	}
	// ip_address is PROTECT.
	r := c.must(409, "DELETE", "/api/ipam/ip-addresses/"+itoa(ip)+"/", nil)
	if !strings.Contains(r.m()["detail"].(string), "2 dependent objects were found") {
		t.Errorf("%s", r.raw)
	}
}

// TestEndpointWrites: the serializer's and the model's validation.
func TestEndpointWrites(t *testing.T) {
	s, c := start(t, Options{Plugin: true, Version: "4.5"})
	vmRole := s.MustSeed("dcim/device-roles", map[string]any{"name": "VM", "slug": "vm", "color": "ff0000", "vm_role": true})
	devRole := s.MustSeed("dcim/device-roles", map[string]any{"name": "Dev", "slug": "dev", "color": "ff0000", "vm_role": false})
	fp := "SHA256:" + strings.Repeat("A", 43)
	hostErr := map[string]any{"domain": []any{"Provide either a domain or an IP address."}, "ip_address": []any{"Provide either a domain or an IP address."}}
	n := 0
	for _, tc := range []struct {
		name   string
		body   map[string]any // domain and mode are added unless present
		status int
		errs   map[string]any // nil: only the status is checked
		check  map[string]any // representation values on success
	}{
		{"mode required", map[string]any{"mode": nil}, 400, map[string]any{"mode": []any{"This field is required."}}, nil},
		{"mode choice", map[string]any{"mode": "bogus"}, 400, nil, nil},
		{"mode value", map[string]any{"mode": "standalone"}, 201, nil, map[string]any{"mode": map[string]any{"value": "standalone", "label": "Standalone"}}},
		{"no host", map[string]any{"domain": nil}, 400, hostErr, nil},
		{"blank host", map[string]any{"domain": "  "}, 400, hostErr, nil},
		{"domain syntax", map[string]any{"domain": "bad_host!"}, 400, map[string]any{"domain": []any{"bad_host! is not a valid domain name"}}, nil},
		{"an address is no domain", map[string]any{"domain": "192.0.2.1"}, 400, map[string]any{"domain": []any{"192.0.2.1 is not a valid domain name"}}, nil},
		{"domain length", map[string]any{"domain": strings.Repeat("a.", 126) + "ab"}, 400, map[string]any{"domain": []any{"Ensure this value has at most 253 characters (it has 254)."}}, nil},
		{"localhost", map[string]any{"domain": "localhost"}, 201, nil, nil},
		{"simple host", map[string]any{"domain": "pve1"}, 201, nil, nil},
		{"port low", map[string]any{"port": 0}, 400, map[string]any{"port": []any{"Ensure this value is greater than or equal to 1."}}, nil},
		{"port high", map[string]any{"port": 65536}, 400, map[string]any{"port": []any{"Ensure this value is less than or equal to 65535."}}, nil},
		{"port max", map[string]any{"port": 65535}, 201, nil, map[string]any{"port": 65535}},
		{"environment", map[string]any{"environment": "lab"}, 201, nil, map[string]any{"environment": map[string]any{"value": "lab", "label": "Lab"}}},
		{"environment blank", map[string]any{"environment": ""}, 201, nil, map[string]any{"environment": nil}},
		{"environment choice", map[string]any{"environment": "prod"}, 400, map[string]any{"environment": []any{`"prod" is not a valid choice.`}}, nil},
		{"access methods", map[string]any{"access_methods": "api_ssh"}, 201, nil, map[string]any{"access_methods": "api_ssh"}},
		{"access methods choice", map[string]any{"access_methods": "ssh"}, 400, map[string]any{"access_methods": []any{`"ssh" is not a valid choice.`}}, nil},
		{"sync mode", map[string]any{"sync_mode_vm": "bootstrap_only", "sync_mode_sdn": "disabled", "sync_mode_mac": ""}, 201, nil,
			map[string]any{"sync_mode_vm": "bootstrap_only", "sync_mode_sdn": "disabled", "sync_mode_mac": ""}},
		{"sync mode choice", map[string]any{"sync_mode_node": "sometimes"}, 400, map[string]any{"sync_mode_node": []any{`"sometimes" is not a valid choice.`}}, nil},
		{"overwrite", map[string]any{"overwrite_vm_tags": false, "overwrite_ip_address_dns_name": true}, 201, nil,
			map[string]any{"overwrite_vm_tags": false, "overwrite_ip_address_dns_name": true, "overwrite_vm_role": nil}},
		{"overwrite boolean", map[string]any{"overwrite_vm_role": "maybe"}, 400, map[string]any{"overwrite_vm_role": []any{"Must be a valid boolean."}}, nil},
		{"default role", map[string]any{"default_role_qemu": vmRole, "default_role_lxc": itoa(vmRole)}, 201, nil,
			map[string]any{"default_role_qemu": vmRole, "default_role_lxc": vmRole}},
		{"default role not a VM role", map[string]any{"default_role_qemu": devRole}, 400,
			map[string]any{"default_role_qemu": []any{`Invalid pk "` + itoa(devRole) + `" - object does not exist.`}}, nil},
		{"default role by attributes", map[string]any{"default_role_lxc": map[string]any{"id": vmRole}}, 400,
			map[string]any{"default_role_lxc": []any{"Incorrect type. Expected pk value, received dict."}}, nil},
		{"tuning", map[string]any{"timeout": 30, "max_retries": 3, "retry_backoff": 1.5}, 201, nil,
			map[string]any{"timeout": 30, "max_retries": 3, "retry_backoff": 1.5}},
		{"timeout negative", map[string]any{"timeout": -1}, 400, map[string]any{"timeout": []any{"Ensure this value is greater than or equal to 0."}}, nil},
		{"retries range", map[string]any{"max_retries": 32768}, 400, map[string]any{"max_retries": []any{"Ensure this value is less than or equal to 32767."}}, nil},
		{"backoff places", map[string]any{"retry_backoff": 0.125}, 400, map[string]any{"retry_backoff": []any{"Ensure that there are no more than 2 decimal places."}}, nil},
		{"backoff digits", map[string]any{"retry_backoff": 1000}, 400, map[string]any{"retry_backoff": []any{"Ensure that there are no more than 3 digits before the decimal point."}}, nil},
		{"secrets", map[string]any{"password": nil, "token_value": ""}, 201, nil, nil},
		{"token value not null", map[string]any{"token_value": nil}, 400, map[string]any{"token_value": []any{"This field may not be null."}}, nil},
		{"service monitoring", map[string]any{"service_monitoring_enabled": true}, 400, map[string]any{"__all__": []any{msgServiceMonitoring}}, nil},
		{"interval", map[string]any{"service_monitoring_interval_minutes": 1441}, 400,
			map[string]any{"service_monitoring_interval_minutes": []any{"Ensure this value is less than or equal to 1440."}}, nil},
		{"ssh fallback incomplete", map[string]any{"ssh_username": "proxbox"}, 400, map[string]any{
			"ssh_known_host_fingerprint": []any{"Pinned host-key fingerprint is required for endpoint fallback."},
			"ssh_auth_method":            []any{"Key authentication requires a private key."}}, nil},
		{"ssh md5", map[string]any{"ssh_known_host_fingerprint": "MD5:aa:bb"}, 400,
			map[string]any{"__all__": []any{"MD5 host-key fingerprints are not accepted — use the SHA-256 form."}}, nil},
		{"ssh reuse without password", map[string]any{"ssh_credential_source": "reuse_endpoint", "ssh_known_host_fingerprint": fp}, 400,
			map[string]any{"ssh_credential_source": []any{"Reusing endpoint credentials for SSH requires a stored endpoint password; token-only endpoints cannot be reused."}}, nil},
		{"ssh reuse", map[string]any{"ssh_credential_source": "reuse_endpoint", "password": "pw",
			"ssh_known_host_fingerprint": "sha256:" + strings.Repeat("A", 43) + "="}, 201, nil,
			map[string]any{"ssh_known_host_fingerprint": fp, "has_ssh_terminal_credentials": true, "service_monitoring_eligible": false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n++
			body := map[string]any{"name": "ep" + itoa(n), "domain": "pve" + itoa(n) + ".lab", "mode": "cluster"}
			for k, v := range tc.body {
				body[k] = v
				if v == nil && (k == "mode" || k == "domain") {
					delete(body, k)
				}
			}
			r := c.must(tc.status, "POST", epPath, body)
			if tc.errs != nil && !jsonEq(t, r.body, tc.errs) {
				t.Errorf("errors %s, want %v", r.raw, tc.errs)
			}
			if tc.status == 400 && tc.errs == nil {
				if _, ok := r.m()[firstKey(tc.body)]; !ok {
					t.Errorf("no error for %s: %s", firstKey(tc.body), r.raw)
				}
			}
			for k, want := range tc.check {
				if !jsonEq(t, r.m()[k], want) {
					t.Errorf("%s = %v, want %v", k, r.m()[k], want)
				}
			}
		})
	}
	// (name, ip_address, domain) is unique, NULLs being distinct; a PATCH
	// needs no mode.
	ip := s.MustSeed("ipam/ip-addresses", map[string]any{"address": "192.0.2.10/24"})
	a := c.must(201, "POST", epPath, map[string]any{"name": "dup", "domain": "dup.lab", "mode": "cluster"}).m()
	c.must(201, "POST", epPath, map[string]any{"name": "dup", "domain": "dup.lab", "mode": "standalone"})
	c.must(201, "POST", epPath, map[string]any{"name": "dup", "domain": "dup.lab", "ip_address": ip, "mode": "cluster"})
	r := c.must(400, "POST", epPath, map[string]any{"name": "dup", "domain": "dup.lab", "ip_address": ip, "mode": "standalone"})
	if !jsonEq(t, r.body, map[string]any{"non_field_errors": []any{"The fields name, ip_address, domain must make a unique set."}}) {
		t.Errorf("%s", r.raw)
	}
	p := c.must(200, "PATCH", epPath+itoa(id(a))+"/", map[string]any{"version": "9.1.2", "repoid": "abcd1234"}).m()
	if p["version"] != "9.1.2" || !jsonEq(t, p["mode"], map[string]any{"value": "cluster", "label": "Cluster"}) {
		t.Errorf("patch %v", p)
	}
}

func firstKey(m map[string]any) string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys[0]
}

// TestEndpointFilters: ProxmoxEndpointFilterSet's filters, and nothing
// else.
func TestEndpointFilters(t *testing.T) {
	s, c := start(t, Options{Plugin: true, Version: "4.4"})
	f := seedBase(t, s)
	tenant := s.MustSeed("tenancy/tenants", map[string]any{"name": "Acme", "slug": "acme"})
	ip := s.MustSeed("ipam/ip-addresses", map[string]any{"address": "192.0.2.10/24"})
	ip2 := s.MustSeed("ipam/ip-addresses", map[string]any{"address": "192.0.2.11/24"})
	seed := func(m map[string]any) {
		if _, ok := m["mode"]; !ok {
			m["mode"] = "cluster"
		}
		if _, err := s.Seed("plugins/proxbox/endpoints/proxmox", m); err != nil {
			t.Fatal(err)
		}
	}
	seed(map[string]any{"name": "lab", "domain": "pve.lab.example", "site": f.site, "tenant": tenant, "environment": "lab",
		"allowed_tenants": []int{tenant}, "tags": []map[string]any{{"slug": "proxbox"}}})
	seed(map[string]any{"name": "edge", "ip_address": ip, "mode": "standalone", "enabled": false})
	seed(map[string]any{"name": "dr", "ip_address": ip2, "domain": "dr.example", "environment": "production"})
	all := "dr edge lab"
	for _, tc := range []struct {
		query string
		want  string         // names, sorted
		errs  map[string]any // a 400 instead
	}{
		{"", all, nil},
		{"id=1&id=2", "edge lab", nil},
		{"id__gt=1", "dr edge", nil},
		{"name=lab", "lab", nil},
		{"name=lab&name=dr", "dr lab", nil},
		{"name__ic=E", "edge", nil},
		{"name__n=lab", "dr edge", nil},
		{"name__isw=d", "dr", nil},
		{"domain=dr.example", "dr", nil},
		{"domain__iew=.EXAMPLE", "dr lab", nil},
		{"domain__empty=true", "edge", nil},
		{"ip_address=" + itoa(ip), "edge", nil},
		{"ip_address=null", "lab", nil},
		{"ip_address__n=" + itoa(ip), "dr lab", nil},
		{"ip_address=9999", "", map[string]any{"ip_address": []any{"Select a valid choice. That choice is not one of the available choices."}}},
		{"ip_address_id=" + itoa(ip), all, nil}, // not a filter of this filterset
		{"ip_address__address=192.0.2.10/24", all, nil},
		{"mode=standalone", "edge", nil},
		{"mode=cluster&mode=standalone", "edge", nil}, // one value, the last
		{"mode=bogus", "", map[string]any{"mode": []any{"Select a valid choice. bogus is not one of the available choices."}}},
		{"mode__n=cluster", all, nil}, // a ChoiceFilter gets no lookups
		{"environment=production", "dr", nil},
		{"site=" + itoa(f.site), "lab", nil},
		{"site=lab", "", map[string]any{"site": []any{"Select a valid choice. That choice is not one of the available choices."}}},
		{"site_id=" + itoa(f.site), all, nil},
		{"tenant=" + itoa(tenant), "lab", nil},
		{"tenant__n=" + itoa(tenant), "dr edge", nil},
		{"enabled=false", "edge", nil},
		{"enabled=true", "dr lab", nil},
		{"ssh_credential_source=dedicated", all, nil},
		{"allowed_tenants=acme", "lab", nil},
		{"allowed_tenants__n=acme", "dr edge", nil},
		{"allowed_tenants_id=" + itoa(tenant), "lab", nil},
		{"allowed_tenants__id__in=" + itoa(tenant), "lab", nil},
		{"allowed_tenants__isnull=true", "dr edge", nil},
		{"allowed_tenants=nope", "", map[string]any{"allowed_tenants": []any{"Select a valid choice. nope is not one of the available choices."}}},
		{"q=EXAMPLE", "dr lab", nil}, // name or domain
		{"q=192.0.2", "", nil},       // not the IP
		{"q=ed", "edge", nil},
		{"tag=proxbox", "lab", nil},
		{"version=9.1", all, nil},
		{"port=8006&port__gt=1", all, nil},
	} {
		t.Run(tc.query, func(t *testing.T) {
			if tc.errs != nil {
				r := c.must(400, "GET", epPath+"?"+tc.query, nil)
				if !jsonEq(t, r.body, tc.errs) {
					t.Errorf("%s", r.raw)
				}
				return
			}
			q, _ := url.ParseQuery(tc.query)
			r := c.must(200, "GET", epPath+"?"+q.Encode(), nil)
			var names []string
			for _, o := range r.results() {
				names = append(names, o["name"].(string))
			}
			sort.Strings(names)
			if got := strings.Join(names, " "); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestSeedProxmoxEndpoint: the Go helper takes an address for ip_address
// and the form's default mode.
func TestSeedProxmoxEndpoint(t *testing.T) {
	s := New(Options{Plugin: true})
	for i, tc := range []struct {
		fields  map[string]any
		mode    string
		address string
		ips     int
		err     bool
	}{
		{map[string]any{"name": "lab", "ip_address": "192.0.2.10"}, "undefined", "192.0.2.10/32", 1, false},
		{map[string]any{"name": "lab2", "ip_address": "192.0.2.10/24", "mode": "cluster"}, "cluster", "192.0.2.10/32", 1, false},
		{map[string]any{"name": "lab3", "ip_address": "2001:db8::1/64"}, "undefined", "2001:db8::1/64", 2, false},
		{map[string]any{"name": "lab4", "domain": "pve.lab", "mode": "standalone"}, "standalone", "", 2, false},
		{map[string]any{"name": "bad", "ip_address": "not-an-ip"}, "", "", 2, true},
		{map[string]any{"name": "nohost"}, "", "", 2, true},
	} {
		id, err := s.SeedProxmoxEndpoint(tc.fields)
		if (err != nil) != tc.err {
			t.Fatalf("%d: err %v", i, err)
		}
		if n := s.Count("ipam/ip-addresses"); n != tc.ips {
			t.Errorf("%d: %d IP addresses, want %d", i, n, tc.ips)
		}
		if err != nil {
			continue
		}
		o := s.Object("plugins/proxbox/endpoints/proxmox", id)
		if m, _ := o["mode"].(map[string]any); m["value"] != tc.mode {
			t.Errorf("%d: mode %v", i, o["mode"])
		}
		addr := ""
		if ipo, ok := o["ip_address"].(map[string]any); ok {
			addr, _ = ipo["address"].(string)
		}
		if addr != tc.address {
			t.Errorf("%d: address %q, want %q", i, addr, tc.address)
		}
	}
}
