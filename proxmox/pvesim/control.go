package pvesim

import (
	"encoding/json"
	"net/http"
	"strings"
)

// ControlPrefix is where a Sim answers about itself, outside the API
// prefix: no token is needed there, and its requests are not counted.
const ControlPrefix = "/_sim/"

// ControlRequestsPath answers GET with the requests counted so far, per
// "METHOD /normalised/path" (as Counts), and DELETE by zeroing them.
const ControlRequestsPath = ControlPrefix + "requests"

// RequestCounts is the JSON answer of GET ControlRequestsPath.
type RequestCounts struct {
	Total       int            `json:"total"`
	MaxInFlight int            `json:"max_in_flight"`
	Requests    map[string]int `json:"requests"`
}

// serveControl answers the control paths.
func (s *Sim) serveControl(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != ControlRequestsPath {
		controlError(w, http.StatusNotFound, "no such control path: "+r.URL.Path+" (there is "+ControlRequestsPath+")")
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		counts := s.Counts()
		total := 0
		for _, n := range counts {
			total += n
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(RequestCounts{Total: total, MaxInFlight: s.MaxInFlight(), Requests: counts})
	case http.MethodDelete:
		s.ResetCounts()
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
