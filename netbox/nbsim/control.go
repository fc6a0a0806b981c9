package nbsim

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// ControlPrefix is where a Server answers about itself, outside /api/: no
// token is needed there, and its requests are not counted.
const ControlPrefix = "/_sim/"

// ControlRequestsPath answers GET with the Counters as JSON (requests per
// "METHOD /api/route/template/"), and DELETE by zeroing them.
const ControlRequestsPath = ControlPrefix + "requests"

// RequestCounts is the JSON answer of GET ControlRequestsPath.
type RequestCounts struct {
	Total          int            `json:"total"`
	Reads          int            `json:"reads"`
	Writes         int            `json:"writes"`
	ObjectsRead    int            `json:"objects_read"`
	ObjectsWritten int            `json:"objects_written"`
	Redirects      int            `json:"redirects"`
	Faults         int            `json:"faults"`
	Errors         int            `json:"errors"`
	Requests       map[string]int `json:"requests"`
	Status         map[string]int `json:"status"` // per HTTP status; "0" is a reset connection
}

func (s *Server) serveControl(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != ControlRequestsPath {
		controlError(w, http.StatusNotFound, "no such control path: "+r.URL.Path+" (there is "+ControlRequestsPath+")")
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		c := s.Counters()
		out := RequestCounts{Total: c.Requests, Reads: c.Reads, Writes: c.Writes, ObjectsRead: c.ObjectsRead,
			ObjectsWritten: c.ObjectsWritten, Redirects: c.Redirects, Faults: c.Faults, Errors: c.Errors,
			Requests: c.ByRoute, Status: map[string]int{}}
		for code, n := range c.Status {
			out.Status[strconv.Itoa(code)] = n
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(out)
	case http.MethodDelete:
		s.ResetCounters()
		w.WriteHeader(http.StatusNoContent)
	default:
		w.Header().Set("Allow", "GET, HEAD, DELETE")
		controlError(w, http.StatusMethodNotAllowed, r.Method+" is not allowed on "+ControlRequestsPath+": GET reads the counts, DELETE zeroes them")
	}
}

func isControlPath(p string) bool { return strings.HasPrefix(p, ControlPrefix) }

func controlError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}
