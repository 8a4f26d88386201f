package zimbra

import "testing"

// A bare access token that happens to begin like a mark keeps all of its
// characters; a marked cookie value loses only its mark.
func TestSplitToken(t *testing.T) {
	bare := "0_" + "abcdefghijklmnopqrstuvwxyz0123456789ABCDE" // 43 characters
	for _, tc := range []struct {
		wire, access string
		csrf         bool
	}{
		{bare, bare, true},
		{"1_" + bare[2:], "1_" + bare[2:], true},
		{markNoCSRF + bare, bare, false},
		{markCSRF + bare, bare, true},
		{"0_short", "0_short", true},
	} {
		access, csrf := splitToken(tc.wire)
		if access != tc.access || csrf != tc.csrf {
			t.Errorf("splitToken(%q) = %q, %v; want %q, %v", tc.wire, access, csrf, tc.access, tc.csrf)
		}
	}
}
