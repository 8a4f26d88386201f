// Package column holds the stored forms of the values both SQL stores
// share: times as nanoseconds since the epoch (NULL for the zero time),
// hashes as binary (NULL when empty) and optional strings (NULL when
// empty), with scanners that read them back exactly.
package column

import (
	"bytes"
	"fmt"
	"time"
)

// Nanos is the stored form of a time: nanoseconds since the epoch, or nil
// (NULL) for the zero time.
func Nanos(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixNano()
}

// Stored returns t as it comes back from the database: UTC, to the
// nanosecond, the zero time unchanged.
func Stored(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return time.Unix(0, t.UnixNano()).UTC()
}

// Time scans a stored time into T.
type Time struct{ T *time.Time }

func (d Time) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*d.T = time.Time{}
	case int64:
		*d.T = time.Unix(0, v).UTC()
	default:
		return fmt.Errorf("time column holds %T", src)
	}
	return nil
}

// Blob is the stored form of a hash: nil (NULL) when empty.
func Blob(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// Bytes scans a hash into a copy in B; NULL and empty give nil.
type Bytes struct{ B *[]byte }

func (d Bytes) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*d.B = nil
	case []byte:
		*d.B = nil
		if len(v) > 0 {
			*d.B = bytes.Clone(v)
		}
	default:
		return fmt.Errorf("binary column holds %T", src)
	}
	return nil
}

// Text is the stored form of an optional string: nil (NULL) when empty.
func Text(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// String scans an optional string into S; NULL gives "".
type String struct{ S *string }

func (d String) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*d.S = ""
	case string:
		*d.S = v
	case []byte:
		*d.S = string(v)
	default:
		return fmt.Errorf("text column holds %T", src)
	}
	return nil
}

// Named scans a string column into a string type of mfad's (a role, a
// scope), which neither driver converts to on its own.
type Named[T ~string] struct{ P *T }

func (d Named[T]) Scan(src any) error {
	var s string
	if err := (String{S: &s}).Scan(src); err != nil {
		return err
	}
	*d.P = T(s)
	return nil
}
