package nbsim

import "net/http"

// Counters describe the traffic a Server has seen since it started or
// since ResetCounters.
type Counters struct {
	Requests int // every request, including redirects and faults
	Reads    int // GET, HEAD, OPTIONS
	Writes   int // POST, PUT, PATCH, DELETE
	// ObjectsRead and ObjectsWritten count objects returned in results and
	// objects created, updated or deleted.
	ObjectsRead    int
	ObjectsWritten int
	Redirects      int // trailing-slash redirects
	Faults         int // injected faults
	Errors         int // 4xx/5xx answers that were not injected
	// ByRoute counts requests per method and route template, e.g.
	// "PATCH /api/virtualization/virtual-machines/" (bulk) or
	// "GET /api/dcim/sites/{id}/".
	ByRoute map[string]int
	// Status counts answers per HTTP status (0 = connection reset).
	Status map[int]int
}

func (c *Counters) reset() {
	*c = Counters{ByRoute: map[string]int{}, Status: map[int]int{}}
}

func (c *Counters) count(method, template string) {
	c.Requests++
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		c.Reads++
	default:
		c.Writes++
	}
	c.ByRoute[method+" "+template]++
}

func (c *Counters) clone() Counters {
	out := *c
	out.ByRoute = make(map[string]int, len(c.ByRoute))
	for k, v := range c.ByRoute {
		out.ByRoute[k] = v
	}
	out.Status = make(map[int]int, len(c.Status))
	for k, v := range c.Status {
		out.Status[k] = v
	}
	return out
}
