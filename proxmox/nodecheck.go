package proxmox

import (
	"context"
	"errors"
	"net/url"
	"sort"
)

// NodeCheck is what a refresh needs from one node, as doctor checks it.
type NodeCheck struct {
	Node   string
	Status string // online, offline, unknown (as GET /nodes says)
	// Version is the node's pve-manager version ("" when it did not say).
	Version    string
	VersionErr error
	// TimeZone is the node's zone (GET /nodes/{node}/time); schedules and
	// retention periods are read in it.
	TimeZone string
	TimeErr  error
	// Missing are the token's missing privileges on the node.
	Missing []MissingPrivilege
}

// Online reports whether the node takes requests.
func (n *NodeCheck) Online() bool { return n.Status == "online" }

// CheckNodes lists the endpoint's nodes and, for each online one, reads
// what a refresh reads from it (its time zone) and checks the token's
// privilege there: without Sys.Audit on /nodes/{node}, Proxmox lists only
// the token's own tasks of that node and refuses its time zone.
func (c *Client) CheckNodes(ctx context.Context) ([]NodeCheck, error) {
	var perms permissions
	if err := c.Get(ctx, "/access/permissions", nil, 0, &perms); err != nil {
		return nil, err
	}
	var nodes []wireNode
	if err := c.Get(ctx, "/nodes", nil, 0, &nodes); err != nil {
		return nil, err
	}
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].Node < nodes[j].Node })
	out := make([]NodeCheck, 0, len(nodes))
	for _, n := range nodes {
		if n.Node == "" {
			return nil, invalidItem(c.cfg.Name, "/nodes", "a node without a name")
		}
		nc := NodeCheck{Node: n.Node, Status: n.Status}
		if nc.Status == "" {
			nc.Status = "unknown"
		}
		path := "/nodes/" + n.Node
		if !perms.has(path, "Sys.Audit") {
			nc.Missing = append(nc.Missing, MissingPrivilege{Path: path, Privilege: "Sys.Audit",
				Why: "Proxmox lists only the token's own tasks of this node (its backup task history is hidden) and refuses its time zone"})
		}
		if nc.Online() {
			base := "/nodes/" + url.PathEscape(n.Node)
			var v wireVersion
			if err := c.Get(ctx, base+"/version", nil, 0, &v); err != nil {
				nc.VersionErr = err
			} else if err := checkVersion(c.cfg.Name, base+"/version", &v); err != nil {
				nc.VersionErr = err
			} else {
				nc.Version = v.Version
			}
			var t wireNodeTime
			if err := c.Get(ctx, base+"/time", nil, 0, &t); err != nil {
				nc.TimeErr = err
			} else if err := checkTime(c.cfg.Name, base+"/time", &t); err != nil {
				nc.TimeErr = err
			} else {
				nc.TimeZone = t.TimeZone
			}
		}
		out = append(out, nc)
	}
	return out, nil
}

// IsForbidden reports whether err is Proxmox refusing a privilege (403).
func IsForbidden(err error) bool {
	var apiErr *APIError
	return errors.As(err, &apiErr) && apiErr.Status == 403
}
