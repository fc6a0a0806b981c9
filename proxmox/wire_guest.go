package proxmox

import "encoding/json"

// Types for the guest and node detail endpoints (used by actions, doctor and
// the NetBox push), with the same tolerance as the list types.

// wireGuestListItem is an item of GET /nodes/{node}/qemu or /lxc; the LXC
// list sends cpus as a string when it comes from cpulimit.
type wireGuestListItem struct {
	VMID     FlexInt   `json:"vmid"`
	Type     string    `json:"type"`
	Name     string    `json:"name"`
	Status   string    `json:"status"`
	CPUs     FlexFloat `json:"cpus"`
	MaxMem   FlexInt   `json:"maxmem"`
	MaxDisk  FlexInt   `json:"maxdisk"`
	Uptime   FlexInt   `json:"uptime"`
	Template Bool      `json:"template"`
	Lock     string    `json:"lock"`
	Tags     string    `json:"tags"`
	PID      FlexInt   `json:"pid"`
}

// GuestConfig is GET …/{qemu|lxc}/{vmid}/config: every key as written in
// the guest's config file, numbers and strings alike kept as text (cpulimit
// and memory arrive as strings, cores as numbers); lists such as the raw
// lxc.* lines keep their JSON text.
type GuestConfig map[string]string

func (g *GuestConfig) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	out := make(GuestConfig, len(raw))
	for k, v := range raw {
		var s FlexString
		if err := json.Unmarshal(v, &s); err != nil {
			out[k] = string(v) // an array or object, kept as written
			continue
		}
		out[k] = string(s)
	}
	*g = out
	return nil
}

// wireNodeStatus is GET /nodes/{node}/status.
type wireNodeStatus struct {
	Uptime  FlexInt     `json:"uptime"`
	LoadAvg []FlexFloat `json:"loadavg"`
	CPU     FlexFloat   `json:"cpu"`
	CPUInfo struct {
		Model   string    `json:"model"`
		MHz     FlexFloat `json:"mhz"`
		HVM     Bool      `json:"hvm"`
		CPUs    FlexInt   `json:"cpus"`
		Sockets FlexInt   `json:"sockets"`
		Cores   FlexInt   `json:"cores"`
	} `json:"cpuinfo"`
	Memory struct {
		Total FlexInt `json:"total"`
		Used  FlexInt `json:"used"`
		Free  FlexInt `json:"free"`
	} `json:"memory"`
	PVEVersion string `json:"pveversion"`
	KVersion   string `json:"kversion"`
}

// wireTicket is POST /access/ticket.
type wireTicket struct {
	Username    string `json:"username"`
	Ticket      string `json:"ticket"`
	CSRF        string `json:"CSRFPreventionToken"`
	ClusterName string `json:"clustername"`
}
