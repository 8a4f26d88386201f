package veeam

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/mfad/mfad"
)

// User ids on the wire. v1 writes mfad's numeric id as a JSON number. v8.1
// writes ids as strings, and its token answer types userId as a UUID
// (format uuid; a client generated from the document parses it as one), so
// a v8.1 id is the numeric id in UUID form, the same in the token answer,
// the user list and the path: 1001 is 00000000-0000-0000-0000-0000000003e9.

// uuidPrefix is the part of a UUID-form id that is always zero.
const uuidPrefix = "00000000-0000-0000-"

// idOf is how v writes a user id.
func (v *version) idOf(id int64) any {
	if v.stringIDs {
		return uuidOf(id)
	}
	return id
}

// idPath is how v writes a user id in a path.
func (v *version) idPath(id int64) string { return fmt.Sprint(v.idOf(id)) }

// uuidOf writes a positive id in UUID form, lower case.
func uuidOf(id int64) string {
	u := uint64(id)
	return fmt.Sprintf("%s%04x-%012x", uuidPrefix, u>>48, u&(1<<48-1))
}

// userID returns the {id} of the path: a positive decimal id in every
// version, or, in v8.1, the UUID form (any case) that v8.1 writes.
func (v *version) userID(r *http.Request) (int64, error) {
	s := r.PathValue("id")
	if id, ok := parseDecimalID(s); ok {
		return id, nil
	}
	if v.stringIDs {
		if id, ok := parseUUIDID(s); ok {
			return id, nil
		}
		return 0, mfad.Errorf(mfad.EInvalidInput, "user id in the path must be a user's id")
	}
	return 0, mfad.Errorf(mfad.EInvalidInput, "user id in the path must be a positive integer")
}

// parseDecimalID reads 1 to 18 decimal digits naming a positive id.
func parseDecimalID(s string) (int64, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil && id > 0
}

// parseUUIDID reads an id in the UUID form of uuidOf, in any case.
func parseUUIDID(s string) (int64, bool) {
	if len(s) != 36 || s[:len(uuidPrefix)] != uuidPrefix || s[23] != '-' {
		return 0, false
	}
	// 16 hex digits; ParseUint takes either case and nothing else.
	u, err := strconv.ParseUint(s[19:23]+s[24:], 16, 64)
	if err != nil || u == 0 || u > 1<<63-1 {
		return 0, false
	}
	return int64(u), true
}
