package nbsim

import (
	"net/http"
	"testing"
)

func TestAuthPerVersion(t *testing.T) {
	const ro = "fedcba9876543210fedcba9876543210fedcba98"
	cases := []struct {
		version, header string
		status          int
		detail          string
	}{
		{"4.3", "Token " + DefaultToken, 200, ""},
		{"4.3", "token " + DefaultToken, 200, ""},
		{"4.3", "", 403, "Authentication credentials were not provided."},
		{"4.3", "Bearer " + DefaultToken, 403, "Authentication credentials were not provided."},
		{"4.3", "Token 0000000000000000000000000000000000000000", 403, "Invalid token"},
		{"4.3", "Token " + DefaultTokenV2, 403, "Invalid token"},
		{"4.3", "Token", 403, "Invalid token header. No credentials provided."},
		{"4.3", "Token a b", 403, "Invalid token header. Token string should not contain spaces."},
		{"4.4", "Bearer " + DefaultTokenV2, 403, "Authentication credentials were not provided."},
		{"4.5", "Bearer " + DefaultTokenV2, 200, ""},
		{"4.5", "Token " + DefaultTokenV2, 200, ""},
		{"4.5", "Bearer " + DefaultToken, 200, ""},
		{"4.5", "Token 0000000000000000000000000000000000000000", 403, "Invalid v1 token"},
		{"4.6", "Bearer nbt_Proxbox0Tui1.wrong", 403, "Invalid v2 token"},
		{"4.6", "Bearer nbt_nodot", 403, "Invalid authorization header: Could not parse key from v2 token. Did you mean to use 'Token' instead of 'Bearer'?"},
		{"4.6", "Basic dXNlcjpwdw==", 403, "Authentication credentials were not provided."},
	}
	for _, tc := range cases {
		t.Run(tc.version+" "+tc.header, func(t *testing.T) {
			_, c := start(t, Options{Version: tc.version, ReadOnlyTokens: []string{ro}})
			req, _ := http.NewRequest("GET", c.s.URL()+"/api/dcim/sites/", nil)
			if tc.header != "" {
				req.Header.Set("Authorization", tc.header)
			}
			res, err := c.hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", res.StatusCode, tc.status)
			}
		})
	}
	// Bodies, checked once per message through the client.
	for _, tc := range cases {
		if tc.detail == "" {
			continue
		}
		_, c := start(t, Options{Version: tc.version})
		c.token = ""
		req, _ := http.NewRequest("GET", c.s.URL()+"/api/status/", nil)
		if tc.header != "" {
			req.Header.Set("Authorization", tc.header)
		}
		res, err := c.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		decodeBody(t, res, &body)
		if body["detail"] != tc.detail {
			t.Errorf("%s %q: detail %q, want %q", tc.version, tc.header, body["detail"], tc.detail)
		}
	}
}

func TestReadOnlyToken(t *testing.T) {
	const ro = "fedcba9876543210fedcba9876543210fedcba98"
	_, c := start(t, Options{ReadOnlyTokens: []string{ro}})
	c.token = ro
	c.must(200, "GET", "/api/dcim/sites/", nil)
	r := c.must(403, "POST", "/api/dcim/sites/", map[string]any{"name": "a", "slug": "a"})
	if r.m()["detail"] != "You do not have permission to perform this action." {
		t.Fatalf("%s", r.raw)
	}
}

func TestAuthenticationCheckFrom45(t *testing.T) {
	for _, v := range []string{"4.4", "4.5"} {
		_, c := start(t, Options{Version: v})
		want := 404
		if v == "4.5" {
			want = 200
		}
		c.must(want, "GET", "/api/authentication-check/", nil)
	}
}
