package httpx

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestParseOrigins(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		bad  bool
	}{
		{"", nil, false},
		{"https://drive.example.org", []string{"https://drive.example.org"}, false},
		{" http://localhost:5173 , https://A.example.org ", []string{"http://localhost:5173", "https://a.example.org"}, false},
		{"https://drive.example.org/", nil, true},
		{"drive.example.org", nil, true},
		{"*", nil, true},
		{"ftp://x.example.org", nil, true},
		{"https://u:p@x.example.org", nil, true},
		{"https://x.example.org?a=1", nil, true},
	} {
		got, err := ParseOrigins(tc.in)
		if (err != nil) != tc.bad || (!tc.bad && !equalStrings(got, tc.want)) {
			t.Errorf("ParseOrigins(%q) = %q, %v", tc.in, got, err)
		}
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// The preflight a browser sends before the Cloudreve web client's calls,
// and the calls themselves, from an allowed and a foreign origin.
func TestCORS(t *testing.T) {
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	h := CORS([]string{"https://drive.example.org"}, next)
	for _, tc := range []struct {
		name, method, origin, reqMethod, reqHeaders string
		status                                      int
		allowOrigin, allowHeaders                   string
	}{
		{"preflight", "OPTIONS", "https://drive.example.org", "PATCH", "authorization,content-type,x-cr-context-hint", 204,
			"https://drive.example.org", "authorization, content-type, x-cr-context-hint"},
		{"preflight, origin in other case", "OPTIONS", "https://DRIVE.example.org", "GET", "", 204, "https://DRIVE.example.org", ""},
		{"preflight, foreign origin", "OPTIONS", "https://evil.example.net", "POST", "content-type", 403, "", ""},
		{"preflight, other header", "OPTIONS", "https://drive.example.org", "POST", "x-evil", 403, "", ""},
		{"preflight, other method", "OPTIONS", "https://drive.example.org", "TRACE", "", 403, "", ""},
		{"call", "GET", "https://drive.example.org", "", "", 418, "https://drive.example.org", ""},
		{"call, foreign origin", "GET", "https://evil.example.net", "", "", 418, "", ""},
		{"call, no origin", "GET", "", "", "", 418, "", ""},
		{"plain OPTIONS", "OPTIONS", "https://drive.example.org", "", "", 418, "https://drive.example.org", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, "/api/v4/user/setting", nil)
			if tc.origin != "" {
				r.Header.Set("Origin", tc.origin)
			}
			if tc.reqMethod != "" {
				r.Header.Set("Access-Control-Request-Method", tc.reqMethod)
			}
			if tc.reqHeaders != "" {
				r.Header.Set("Access-Control-Request-Headers", tc.reqHeaders)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			got := w.Result().Header
			if w.Code != tc.status || got.Get("Access-Control-Allow-Origin") != tc.allowOrigin ||
				got.Get("Access-Control-Allow-Headers") != tc.allowHeaders || got.Get("Vary") != "Origin" {
				t.Errorf("status %d, headers %v", w.Code, got)
			}
			if got.Get("Access-Control-Allow-Credentials") != "" {
				t.Error("credentials allowed")
			}
		})
	}
	if CORS(nil, next) == nil {
		t.Fatal("no handler")
	}
}

// FuzzParseOrigins: any setting parses or is refused, and what parses is
// only plain origins.
func FuzzParseOrigins(f *testing.F) {
	for _, s := range []string{"", "https://a.example.org", "http://localhost:5173,https://b.example.org", "*", "https://x/ y", "https://[::1]:8080", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseOrigins(s)
		if err != nil {
			return
		}
		for _, o := range got {
			if again, err := ParseOrigins(o); err != nil || len(again) != 1 || again[0] != o {
				t.Fatalf("origin %q of %q does not parse back: %v %v", o, s, again, err)
			}
		}
	})
}

// FuzzCORSRequestHeaders: a preflight's header list is allowed only when
// every header in it is one the fronts take.
func FuzzCORSRequestHeaders(f *testing.F) {
	for _, s := range []string{"", "authorization", "Content-Type, X-Cr-Context-Hint", "x-cr-", "x-evil", ",,", "authorization,\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, ok := corsRequestHeaders(s)
		if !ok {
			return
		}
		for _, h := range splitList(out) {
			if h != "authorization" && h != "content-type" && (len(h) <= 5 || h[:5] != "x-cr-") {
				t.Fatalf("%q allowed header %q", s, h)
			}
		}
	})
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ", ") {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}
