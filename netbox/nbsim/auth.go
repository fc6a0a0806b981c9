package nbsim

import (
	"net/http"
	"strings"
)

// authenticate checks the Authorization header the way NetBox's token
// authentication does for the emulated version. Failures are 403, never
// 401: the first authenticator (session) sends no WWW-Authenticate, so DRF
// downgrades them.
func (s *Server) authenticate(r *http.Request) *reply {
	h := r.Header.Get("Authorization")
	if h == "" {
		return detail(http.StatusForbidden, "Authentication credentials were not provided.")
	}
	parts := strings.Fields(h)
	keyword := strings.ToLower(parts[0])
	v2era := atLeast(s.version, "4.5")
	if keyword != "token" && !(v2era && keyword == "bearer") {
		// Not a scheme this version knows: the request is anonymous.
		return detail(http.StatusForbidden, "Authentication credentials were not provided.")
	}
	switch {
	case len(parts) == 1:
		return detail(http.StatusForbidden, "Invalid token header. No credentials provided.")
	case len(parts) > 2:
		return detail(http.StatusForbidden, "Invalid token header. Token string should not contain spaces.")
	}
	tok := parts[1]
	if !v2era {
		// v2 tokens do not exist before 4.5, whatever Options.Tokens says.
		if strings.HasPrefix(tok, "nbt_") || !s.tokens[tok] && !s.roToken[tok] {
			return detail(http.StatusForbidden, "Invalid token")
		}
		return nil
	}
	// 4.5+: the token kind follows from the nbt_ prefix, not the keyword.
	if strings.HasPrefix(tok, "nbt_") {
		if !strings.Contains(tok, ".") {
			return detail(http.StatusForbidden, "Invalid authorization header: Could not parse key from v2 token. Did you mean to use 'Token' instead of 'Bearer'?")
		}
		if !s.tokens[tok] && !s.roToken[tok] {
			return detail(http.StatusForbidden, "Invalid v2 token")
		}
		return nil
	}
	if !s.tokens[tok] && !s.roToken[tok] {
		return detail(http.StatusForbidden, "Invalid v1 token")
	}
	return nil
}

func (s *Server) readOnlyCaller(r *http.Request) bool {
	parts := strings.Fields(r.Header.Get("Authorization"))
	return len(parts) == 2 && s.roToken[parts[1]] && !s.tokens[parts[1]]
}
