package main

import (
	"slices"
	"testing"
)

// TestAllowedChoices: the allowed-* settings from flags and from the file
// (arrays of strings or numbers), the defaults, and bad values refused.
func TestAllowedChoices(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		file    string
		algs    []string
		digits  []int
		periods []int
		bad     bool
	}{
		{"defaults", nil, "", []string{"SHA1"}, []int{6}, []int{30}, false},
		{"flags", []string{"--allowed-algorithms", "sha1, SHA-256", "--allowed-digits", "6,8"}, "", []string{"SHA1", "SHA256"}, []int{6, 8}, []int{30}, false},
		{"file arrays", nil, "allowed_algorithms = [\"SHA1\", \"SHA512\"]\nallowed_digits = [6, 8]\nallowed_periods = 60\n", []string{"SHA1", "SHA512"}, []int{6, 8}, []int{60}, false},
		{"unknown algorithm", []string{"--allowed-algorithms", "MD5"}, "", nil, nil, nil, true},
		{"9 digits", []string{"--allowed-digits", "6,9"}, "", nil, nil, nil, true},
		{"period 0", []string{"--allowed-periods", "0"}, "", nil, nil, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cleanEnv(t)
			args := tt.args
			if tt.file != "" {
				args = append(args, "--config", writeFile(t, "mfad.conf", tt.file))
			}
			c, _, err := parseConfig(t, args...)
			if err == nil {
				_, err = c.authConfig()
			}
			if tt.bad {
				if err == nil {
					t.Fatal("accepted")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			a, _ := c.authConfig()
			if !slices.Equal(a.Allowed.Algorithms, tt.algs) || !slices.Equal(a.Allowed.Digits, tt.digits) || !slices.Equal(a.Allowed.Periods, tt.periods) {
				t.Errorf("allowed %+v", a.Allowed)
			}
		})
	}
}
