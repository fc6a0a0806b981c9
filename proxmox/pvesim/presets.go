package pvesim

import (
	"fmt"
	"time"

	// The demo estate lives in a real time zone (DST included) on every
	// machine, tzdata installed or not.
	_ "time/tzdata"
)

// Preset names.
const (
	PresetDemo  = "demo"
	PresetLarge = "large"
)

// GenerateOptions drive preset generation. The same options give the same
// estate, byte for byte.
type GenerateOptions struct {
	Seed int64
	// Now is the estates' clock; the generated history ends at its value
	// when generation starts. nil means time.Now.
	Now func() time.Time
	// Days of history; 0 means 60.
	Days int
}

func (o GenerateOptions) normalized() GenerateOptions {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Days <= 0 {
		o.Days = 60
	}
	return o
}

// Generate builds the estates of a preset: for "demo" the lab cluster and
// the edge node (the third endpoint, dr, is unreachable and has no estate;
// see StartDemo), for "large" three 16-node clusters.
func Generate(preset string, opts GenerateOptions) ([]*Estate, error) {
	switch preset {
	case PresetDemo:
		return Demo(opts), nil
	case PresetLarge:
		return Large(opts), nil
	}
	return nil, fmt.Errorf("pvesim: unknown preset %q", preset)
}

// Demo builds the demo preset's reachable endpoints: "lab" (a 3-node cluster
// with 24 guests, 4 storages, 3 backup jobs, 4 replication jobs) and "edge"
// (a standalone node with 5 guests, 1 storage, 1 job).
func Demo(opts GenerateOptions) []*Estate {
	opts = opts.normalized()
	now := opts.Now()
	return []*Estate{
		NewEstate(genLab(opts, now), opts.Now),
		NewEstate(genEdge(opts, now), opts.Now),
	}
}

// Large builds the large preset: three clusters of 16 nodes with 5,000
// guests, ~100,000 backups, ~20,000 snapshots, ~100,000 tasks, 300 backup
// jobs and 1,000 replication jobs in total.
func Large(opts GenerateOptions) []*Estate {
	opts = opts.normalized()
	now := opts.Now()
	out := make([]*Estate, 3)
	guests := []int{1667, 1667, 1666}
	repl := []int{334, 333, 333}
	for i := range out {
		out[i] = NewEstate(genLargeCluster(opts, now, i, guests[i], 100, repl[i]), opts.Now)
	}
	return out
}

// Demo endpoints as served by StartDemo.
type DemoServers struct {
	Lab, Edge *Server
	// DRURL is the unreachable third endpoint (connection refused), or a
	// server answering 595 / hanging when DemoOptions.DR says so.
	DRURL string
	DR    *Server // nil unless DemoOptions.DR asks for a server
}

// DRMode is how the demo's dr endpoint fails.
type DRMode int

// DR modes.
const (
	DRRefused DRMode = iota // nothing listens
	DR595                   // every request answers 595
	DRHang                  // every request hangs until the client gives up
)

// DemoOptions configure StartDemo.
type DemoOptions struct {
	Generate GenerateOptions
	// Server is applied to every endpoint (Estate is set per endpoint).
	Server Options
	DR     DRMode
}

// StartDemo generates the demo preset and serves lab and edge on loopback.
func StartDemo(opts DemoOptions) (*DemoServers, error) {
	estates := Demo(opts.Generate)
	d := &DemoServers{}
	var err error
	so := opts.Server
	so.Estate = estates[0]
	if d.Lab, err = Start(so); err != nil {
		return nil, err
	}
	so.Estate = estates[1]
	if d.Edge, err = Start(so); err != nil {
		d.Close()
		return nil, err
	}
	switch opts.DR {
	case DRRefused:
		d.DRURL, err = UnreachableURL(opts.Server.PlainHTTP)
	default:
		so.Estate = NewEstate(&Truth{Endpoint: "dr", LocalNode: "dr1", Nodes: []*Node{{Name: "dr1"}}}, opts.Generate.Now)
		kind := Fault595
		if opts.DR == DRHang {
			kind = FaultTimeout
		}
		so.Faults = Faults{Rate: 1, Kinds: []FaultKind{kind}}
		d.DR, err = Start(so)
		if err == nil {
			d.DRURL = d.DR.URL
		}
	}
	if err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// Close stops every demo server.
func (d *DemoServers) Close() {
	for _, s := range []*Server{d.Lab, d.Edge, d.DR} {
		if s != nil {
			s.Close()
		}
	}
}
