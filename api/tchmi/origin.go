package tchmi

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"path"
	"strings"
)

// checkOrigin decides whether a browser page may use the dialect (open the
// WebSocket, log in over HTTP). A request without an Origin is not from a
// browser page and may. From a page, two things are checked:
//
//   - the Host the browser addressed must be this server's: an IP address,
//     localhost, or one of the configured public hosts. Otherwise a page of
//     rebind.evil, whose name was made to resolve to this server (DNS
//     rebinding), would be same-origin with it.
//   - the page's origin must be the server's own (same scheme-less host and
//     port as Host) or one of the configured origins.
func (o Options) checkOrigin(r *http.Request) error {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return nil
	}
	if !o.publicHost(r.Host) {
		return fmt.Errorf("host %q is not one of this server's public hosts (--public-hosts)", r.Host)
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return errors.New("malformed Origin")
	}
	if strings.EqualFold(u.Host, r.Host) {
		return nil
	}
	if o.allowedOrigin(u) {
		return nil
	}
	return fmt.Errorf("origin %q is not allowed (--tchmi-origins)", origin)
}

// allowedOrigin reports whether a page of origin u may use the dialect: an
// entry with a scheme ("https://hmi.example:1010") is matched exactly, one
// without ("hmi.example", "*.example.com") as a host pattern (path.Match,
// as websocket.AcceptOptions.OriginPatterns) against host[:port].
func (o Options) allowedOrigin(u *url.URL) bool {
	for _, p := range o.OriginPatterns {
		if strings.Contains(p, "://") {
			if strings.EqualFold(strings.TrimSuffix(p, "/"), u.Scheme+"://"+u.Host) {
				return true
			}
			continue
		}
		if ok, _ := path.Match(strings.ToLower(p), strings.ToLower(u.Host)); ok {
			return true
		}
	}
	return false
}

// publicHost reports whether host (a Host header) names this server.
func (o Options) publicHost(host string) bool {
	name := hostname(host)
	if _, err := netip.ParseAddr(name); err == nil || strings.EqualFold(name, "localhost") {
		return true
	}
	for _, p := range o.PublicHosts {
		if strings.EqualFold(hostname(p), name) {
			return true
		}
	}
	return false
}

// hostname is host without its port and IPv6 brackets.
func hostname(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return strings.TrimSuffix(strings.Trim(host, "[]"), ".")
}

// corsHeaders lets an allowed page of another origin read the answers of
// the HTTP endpoints and keep their cookie (fetch with credentials).
func (o Options) corsHeaders(w http.ResponseWriter, r *http.Request) {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return
	}
	w.Header().Add("Vary", "Origin")
	w.Header().Set("Access-Control-Allow-Origin", origin)
	w.Header().Set("Access-Control-Allow-Credentials", "true")
	if r.Method == http.MethodOptions {
		w.Header().Set("Access-Control-Allow-Methods", "POST, GET")
		w.Header().Set("Access-Control-Allow-Headers", "Content-Type")
		w.Header().Set("Access-Control-Max-Age", "600")
	}
}
