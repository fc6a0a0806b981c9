package pvesim

import (
	"bufio"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// result is a successful answer: the JSON of "data" and, for paged lists,
// "total", which Proxmox puts beside "data", not inside it.
type result struct {
	data     []byte
	total    int
	hasTotal bool
}

func ok(w *jw) (*result, error) { return &result{data: w.b}, nil }

func okTotal(w *jw, total int) (*result, error) {
	return &result{data: w.b, total: total, hasTotal: true}, nil
}

// apiError is a failed answer. Proxmox puts its message into the HTTP reason
// phrase ("HTTP/1.1 500 Configuration file ... does not exist") and, since
// pve-http-server 5.2 (PVE 8.4), also into the body's "message".
type apiError struct {
	status    int
	msg       string            // reason phrase; "" = standard text
	params    map[string]string // 400: the "errors" object
	emptyBody bool              // proxy errors (595) carry no body at all
}

func (e *apiError) Error() string { return strconv.Itoa(e.status) + " " + e.msg }

func errParams(params map[string]string) *apiError {
	return &apiError{status: 400, msg: "Parameter verification failed.", params: params}
}

func errParam(name, msg string) *apiError { return errParams(map[string]string{name: msg}) }

func err500(msg string) *apiError { return &apiError{status: 500, msg: msg} }

func errNodeDown() *apiError {
	return &apiError{status: 595, msg: "No route to host", emptyBody: true}
}

func errNotImplemented(method, path string) *apiError {
	return &apiError{status: 501, msg: "Method '" + method + " " + path + "' not implemented"}
}

// envelope builds the JSON body of an answer.
func envelope(res *result) []byte {
	b := make([]byte, 0, len(res.data)+32)
	b = append(b, `{"data":`...)
	b = append(b, res.data...)
	if res.hasTotal {
		b = append(b, `,"total":`...)
		b = strconv.AppendInt(b, int64(res.total), 10)
	}
	return append(b, '}')
}

func (s *Sim) errorBody(e *apiError) []byte {
	if e.emptyBody {
		return nil
	}
	var w jw
	w.obj()
	w.kNull("data")
	if e.params != nil {
		w.key("errors")
		w.obj()
		for _, k := range sortedKeys(e.params) {
			w.kStr(k, e.params[k])
		}
		w.endObj()
	}
	if !s.opts.LegacyErrors && e.status >= 400 {
		msg := e.msg
		if msg == "" {
			msg = http.StatusText(e.status)
		}
		w.kStr("message", msg+"\n")
	}
	w.endObj()
	return w.b
}

func setPVEHeaders(h http.Header) {
	h.Set("Server", "pve-api-daemon/3.0")
	h.Set("Cache-Control", "max-age=0")
	h.Set("Pragma", "no-cache")
	h.Set("Expires", time.Now().UTC().Format(http.TimeFormat))
	h.Set("Content-Type", "application/json;charset=UTF-8")
}

func writeOK(w http.ResponseWriter, body []byte) {
	setPVEHeaders(w.Header())
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	w.Write(body) //nolint:errcheck // the client went away
}

func (s *Sim) writeError(w http.ResponseWriter, e *apiError) {
	writeStatus(w, e.status, e.msg, s.errorBody(e))
}

// writeStatus writes a response whose status line carries reason instead of
// Go's standard text. net/http cannot do that, so the connection is hijacked
// and the response written by hand (then closed, as the server no longer
// owns it). Without a hijackable writer (tests with a recorder) the standard
// status line is used.
func writeStatus(w http.ResponseWriter, status int, reason string, body []byte) {
	reason = strings.ReplaceAll(strings.ReplaceAll(reason, "\r", " "), "\n", " ")
	if reason == "" || reason == http.StatusText(status) {
		writeStd(w, status, body)
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		writeStd(w, status, body)
		return
	}
	conn, rw, err := hj.Hijack()
	if err != nil {
		writeStd(w, status, body)
		return
	}
	defer conn.Close()
	writeRaw(rw.Writer, status, reason, body)
}

func writeStd(w http.ResponseWriter, status int, body []byte) {
	setPVEHeaders(w.Header())
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body) //nolint:errcheck // the client went away
}

func writeRaw(bw *bufio.Writer, status int, reason string, body []byte) {
	h := http.Header{}
	setPVEHeaders(h)
	h.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Connection", "close")
	bw.WriteString("HTTP/1.1 " + strconv.Itoa(status) + " " + reason + "\r\n") //nolint:errcheck
	h.Write(bw)                                                                //nolint:errcheck
	bw.WriteString("\r\n")                                                     //nolint:errcheck
	bw.Write(body)                                                             //nolint:errcheck
	bw.Flush()                                                                 //nolint:errcheck
}
