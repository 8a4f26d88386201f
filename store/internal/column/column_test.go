package column_test

import (
	"testing"
	"time"

	"github.com/mfad/mfad/store/internal/column"
)

func TestRoundTrips(t *testing.T) {
	for _, in := range []time.Time{{}, time.Date(2031, 3, 4, 5, 6, 7, 891011121, time.FixedZone("x", 3600))} {
		var got time.Time
		if err := (column.Time{T: &got}).Scan(column.Nanos(in)); err != nil {
			t.Fatal(err)
		}
		if !got.Equal(column.Stored(in)) || (in.IsZero() != got.IsZero()) || (!got.IsZero() && got.Location() != time.UTC) {
			t.Errorf("time %v came back as %v", in, got)
		}
	}
	for _, in := range [][]byte{nil, {}, {1, 2, 3}} {
		var got []byte
		if err := (column.Bytes{B: &got}).Scan(column.Blob(in)); err != nil {
			t.Fatal(err)
		}
		if string(got) != string(in) || (len(in) == 0 && got != nil) {
			t.Errorf("bytes %v came back as %v", in, got)
		}
	}
	for _, in := range []string{"", "x"} {
		var got string
		if err := (column.String{S: &got}).Scan(column.Text(in)); err != nil || got != in {
			t.Errorf("string %q came back as %q (%v)", in, got, err)
		}
	}
}

func TestWrongTypes(t *testing.T) {
	var tm time.Time
	var b []byte
	var s string
	for name, err := range map[string]error{
		"time":  column.Time{T: &tm}.Scan("not a time"),
		"bytes": column.Bytes{B: &b}.Scan(int64(1)),
		"text":  column.String{S: &s}.Scan(int64(1)),
	} {
		if err == nil {
			t.Errorf("%s: a wrong type must be an error", name)
		}
	}
}
