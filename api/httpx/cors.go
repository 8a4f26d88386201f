package httpx

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// ParseOrigins parses a comma-separated list of origins allowed to call a
// front from a web page served elsewhere ("https://drive.example.org").
// Each must be scheme://host[:port] with nothing else: an origin is
// compared exactly, never as a pattern. "" allows none.
func ParseOrigins(s string) ([]string, error) {
	var out []string
	for _, o := range strings.Split(s, ",") {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return nil, fmt.Errorf("origin %q: want scheme://host[:port]", o)
		}
		out = append(out, strings.ToLower(o))
	}
	return out, nil
}

// corsHeaders are the request headers a cross-origin page may send: the
// bearer token, JSON bodies, and Cloudreve's own X-Cr-* headers.
var corsHeaders = []string{"authorization", "content-type"}

const corsHeaderPrefix = "x-cr-"

// CORS lets pages from origins call next from a browser. The answer to an
// allowed origin names that origin (never "*") and varies by Origin; a
// preflight (OPTIONS with Access-Control-Request-Method) is answered here,
// 204 when origin, method and headers are allowed, 403 otherwise. Requests
// of other origins pass unchanged: without the headers, the browser
// withholds the answer from the page. No credentials (cookies) are
// allowed: the fronts take bearer tokens.
func CORS(origins []string, next http.Handler) http.Handler {
	if len(origins) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		w.Header().Add("Vary", "Origin")
		allowed := origin != "" && slices.Contains(origins, strings.ToLower(origin))
		preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
		if !preflight {
			if allowed {
				w.Header().Set("Access-Control-Allow-Origin", origin)
				w.Header().Set("Access-Control-Expose-Headers", "Retry-After, X-Request-Id")
			}
			next.ServeHTTP(w, r)
			return
		}
		method := r.Header.Get("Access-Control-Request-Method")
		headers, headersOK := corsRequestHeaders(r.Header.Get("Access-Control-Request-Headers"))
		if !allowed || !headersOK || !slices.Contains([]string{"GET", "POST", "PUT", "PATCH", "DELETE"}, method) {
			http.Error(w, "cross-origin request not allowed", http.StatusForbidden)
			return
		}
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE")
		if headers != "" {
			h.Set("Access-Control-Allow-Headers", headers)
		}
		h.Set("Access-Control-Max-Age", "600")
		w.WriteHeader(http.StatusNoContent)
	})
}

// corsRequestHeaders checks the headers a preflight asks for and returns
// them as the answer lists them.
func corsRequestHeaders(v string) (string, bool) {
	var out []string
	for _, h := range strings.Split(v, ",") {
		h = strings.ToLower(strings.TrimSpace(h))
		if h == "" {
			continue
		}
		if !slices.Contains(corsHeaders, h) && !(strings.HasPrefix(h, corsHeaderPrefix) && len(h) > len(corsHeaderPrefix)) {
			return "", false
		}
		out = append(out, h)
	}
	return strings.Join(out, ", "), true
}
