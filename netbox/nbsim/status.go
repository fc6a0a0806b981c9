package nbsim

import (
	"sort"
	"strings"
)

// pluginVersion is the netbox-proxbox release the contract describes.
const pluginVersion = "0.0.24"

// status is GET /api/status/.
func (s *Server) status() map[string]any {
	django := map[string]string{"4.0": "5.0.9", "4.1": "5.0.9", "4.2": "5.1.5", "4.3": "5.2.4", "4.4": "5.2.6", "4.5": "5.2.8", "4.6": "6.0.1"}[s.version]
	plugins := map[string]any{}
	if s.opts.Plugin {
		plugins["netbox_proxbox"] = pluginVersion
	}
	st := map[string]any{
		"django-version": django,
		"installed-apps": map[string]any{
			"django_filters": "25.1", "django_rq": "3.0.1", "drf_spectacular": "0.28.0",
			"rest_framework": "3.16.0", "taggit": "6.1.0", "timezone_field": "7.1",
		},
		"netbox-version":      s.full,
		"netbox-full-version": s.full,
		"plugins":             plugins,
		"python-version":      pythonVersion,
		"rq-workers-running":  1,
	}
	if atLeast(s.version, "4.4") {
		st["hostname"] = "netbox"
	}
	return st
}

// rootIndex is GET /api/: the apps served.
func (s *Server) rootIndex() map[string]any {
	out := map[string]any{}
	for _, vw := range s.views {
		app := strings.SplitN(vw.path, "/", 2)[0]
		if vw.plugin {
			app = "plugins"
		}
		out[app] = s.baseURL + "/api/" + app + "/"
	}
	out["status"] = s.baseURL + "/api/status/"
	return out
}

// options is DRF's metadata for OPTIONS on a model endpoint: the POST
// fields with their choices.
func (s *Server) options(rt route) map[string]any {
	vw := rt.vw
	if vw == nil {
		return map[string]any{"name": "Api Root"}
	}
	names := make([]string, 0, len(vw.write))
	for n := range vw.write {
		names = append(names, n)
	}
	sort.Strings(names)
	post := map[string]any{}
	for _, n := range names {
		f := vw.write[n]
		m := map[string]any{"type": f.Type, "required": f.Required, "read_only": false, "label": strings.ReplaceAll(n, "_", " ")}
		if f.enum != nil {
			var ch []any
			for _, e := range f.Enum {
				if f.enum[e] {
					label := e
					if l := f.Labels[e]; l != "" {
						label = l
					}
					ch = append(ch, map[string]any{"value": e, "display": label})
				}
			}
			m["choices"] = ch
		}
		if f.MaxLength > 0 {
			m["max_length"] = f.MaxLength
		}
		post[n] = m
	}
	out := map[string]any{
		"name":        vw.beh.class + " List",
		"renders":     []string{"application/json"},
		"parses":      []string{"application/json", "multipart/form-data"},
		"actions":     map[string]any{"POST": post},
		"description": "",
	}
	if vw.beh.methods != nil && !containsString(vw.beh.methods, "POST") {
		// DRF's metadata describes POST and PUT only where allowed.
		delete(out, "actions")
	}
	return out
}

func containsString(l []string, x string) bool {
	for _, e := range l {
		if e == x {
			return true
		}
	}
	return false
}
