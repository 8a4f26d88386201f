package httpx_test

import (
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/mfad/mfad/api/httpx"
)

// FuzzClientAddr: whatever a trusted proxy forwards, the client address is
// a parsed address that is not the proxy's own (or UnknownClient), and
// ParseHop accepts only what it can turn back into an address.
func FuzzClientAddr(f *testing.F) {
	for _, s := range []string{"203.0.113.9", "203.0.113.9:4711", "[2001:db8::1]:443", "[2001:db8::1]", "unknown",
		"", " , ", "10.0.0.1, 198.51.100.1:80", "fe80::1%eth0", "[::ffff:1.2.3.4]:1", "1.2.3.4:99999", "[1.2.3.4]"} {
		f.Add(s)
	}
	ps, err := httpx.ParseProxies("127.0.0.0/8,::1,10.0.0.0/8")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, xff string) {
		if a, ok := httpx.ParseHop(xff); ok {
			if !a.IsValid() || a.Zone() != "" || a.Is4In6() {
				t.Fatalf("ParseHop(%q) = %v", xff, a)
			}
		}
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = "127.0.0.1:5000"
		r.Header.Set("X-Forwarded-For", xff)
		got := ps.ClientAddr(r)
		if got == httpx.UnknownClient {
			return
		}
		a, err := netip.ParseAddr(got)
		if err != nil {
			t.Fatalf("ClientAddr(%q) = %q: not an address", xff, got)
		}
		if a.IsLoopback() && !strings.Contains(xff, got) && !isOnlyProxies(xff) {
			t.Fatalf("ClientAddr(%q) = the proxy's own %q", xff, got)
		}
	})
}

// isOnlyProxies reports whether every entry of xff is a trusted proxy (the
// one case where the peer itself is the answer).
func isOnlyProxies(xff string) bool {
	for _, h := range strings.Split(xff, ",") {
		a, ok := httpx.ParseHop(h)
		if !ok {
			return false
		}
		if !a.IsLoopback() && !netip.MustParsePrefix("10.0.0.0/8").Contains(a) {
			return false
		}
	}
	return true
}
