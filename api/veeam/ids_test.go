package veeam

import (
	"strings"
	"testing"
)

// TestUUIDID: the v8.1 form of an id, and what the path accepts.
func TestUUIDID(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64 // 0: refused
	}{
		{"00000000-0000-0000-0000-0000000003e9", 1001},
		{"00000000-0000-0000-0000-0000000003E9", 1001},
		{"00000000-0000-0000-7fff-ffffffffffff", 1<<63 - 1},
		{"00000000-0000-0000-8000-000000000000", 0}, // past int64
		{"00000000-0000-0000-0000-000000000000", 0}, // no user 0
		{"00000000-0000-0001-0000-0000000003e9", 0}, // not the zero prefix
		{"00000000-0000-0000-0000+0000000003e9", 0},
		{"00000000-0000-0000--000-0000000003e9", 0},
		{"00000000-0000-0000-0000-0000000003e", 0},
		{"3f2504e0-4f89-11d3-9a0c-0305e82c3301", 0},
	} {
		got, ok := parseUUIDID(tc.in)
		if got != tc.want || ok != (tc.want != 0) {
			t.Errorf("parseUUIDID(%q) = %d, %v; want %d", tc.in, got, ok, tc.want)
		}
	}
	if got := uuidOf(1001); got != "00000000-0000-0000-0000-0000000003e9" {
		t.Errorf("uuidOf(1001) = %s", got)
	}
}

// FuzzUserID: whatever the path holds, an id is accepted only in one of
// the two forms, and an accepted id written back in UUID form reads as the
// same id.
func FuzzUserID(f *testing.F) {
	for _, s := range []string{"1001", "00000000-0000-0000-0000-0000000003e9", "00000000-0000-0000-0000-0000000003E9", "-1", "0", "", "+5", "1_0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, ok := parseUUIDID(s)
		if d, dok := parseDecimalID(s); dok {
			if ok {
				t.Fatalf("%q reads both ways", s)
			}
			id, ok = d, true
		}
		if !ok {
			return
		}
		if id <= 0 {
			t.Fatalf("%q reads as %d", s, id)
		}
		back, ok := parseUUIDID(uuidOf(id))
		if !ok || back != id {
			t.Fatalf("%q: id %d, back %d %v", s, id, back, ok)
		}
		if len(s) == 36 && !strings.EqualFold(s, uuidOf(id)) {
			t.Fatalf("%q is not the UUID form of %d (%s)", s, id, uuidOf(id))
		}
	})
}

// FuzzUsersQuery: a query is refused or read into a query the core can
// take: offset at least 0, a limit from 1 to maxLimit, a name only when one
// was given.
func FuzzUsersQuery(f *testing.F) {
	for _, s := range []string{"", "NameFilter=bob", "Offset=1&Limit=-1", "limit=0", "NameFilter=", "Limit=2147483648", "x=1", "Offset=1&offset=2", "%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := parseUsersQuery(raw, 30)
		if err != nil {
			return
		}
		if q.Offset < 0 || q.Limit < 1 || q.Limit > maxLimit {
			t.Fatalf("%q: %+v", raw, q)
		}
		if q.Name != "" && !strings.Contains(strings.ToLower(raw), "namefilter") {
			t.Fatalf("%q: name %q from nowhere", raw, q.Name)
		}
	})
}
