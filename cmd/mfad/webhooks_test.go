package main

import (
	"strings"
	"testing"
)

func TestParseWebhooks(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{"", "", ""},
		{"ops=https://ops.example/hook", "ops https://ops.example/hook []", ""},
		{"a=http://a.example/x;events=code.replayed,2fa.locked  b=https://b.example/",
			"a http://a.example/x [code.replayed 2fa.locked]|b https://b.example/ []", ""},
		{"https://no-name.example/", "", "not NAME=URL"},
		{"ops=ftp://x/", "", "http(s) URL"},
		{"ops=https://x/ ops=https://y/", "", "named twice"},
		{"ops=https://x/;events=nope", "", `unknown event "nope"`},
		{"ops=https://x/;kinds=code.replayed", "", "want events="},
	}
	for _, tt := range tests {
		specs, err := parseWebhooks(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: error %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		var got []string
		for _, s := range specs {
			got = append(got, s.Name+" "+s.URL+" ["+strings.Join(s.Kinds, " ")+"]")
		}
		if err != nil || strings.Join(got, "|") != tt.want {
			t.Errorf("%q: %q %v, want %q", tt.in, got, err, tt.want)
		}
	}
}

func FuzzParseWebhooks(f *testing.F) {
	f.Add("ops=https://ops.example/hook;events=code.replayed,2fa.locked b=http://b/")
	f.Add("=;events=")
	f.Fuzz(func(t *testing.T, s string) {
		specs, err := parseWebhooks(s)
		if err != nil {
			return
		}
		for _, w := range specs {
			if w.Name == "" || !strings.HasPrefix(w.URL, "http") {
				t.Fatalf("accepted %+v from %q", w, s)
			}
		}
	})
}

// TestWebhookSecretNotWeak (issue 26, item 2): an operator's signing secret
// that anyone could guess is refused, naming the variable, never the value.
func TestWebhookSecretNotWeak(t *testing.T) {
	for _, weak := range []string{strings.Repeat("a", 32), strings.Repeat("ab", 16), strings.Repeat("0", 64)} {
		t.Setenv("MFAD_WEBHOOK_SECRET", weak)
		if _, err := webhookSecret("ops"); err == nil || !strings.Contains(err.Error(), "MFAD_WEBHOOK_SECRET") || strings.Contains(err.Error(), weak) {
			t.Errorf("secret %.8q…: %v", weak, err)
		}
	}
	t.Setenv("MFAD_WEBHOOK_SECRET", "whsec-e2e-test")
	if s, err := webhookSecret("ops"); err != nil || s != "whsec-e2e-test" {
		t.Errorf("an ordinary secret: %q, %v", s, err)
	}
}
