//go:build mfadtest

package main

import (
	"encoding/json"
	"net/http"
	"os"
	"time"
)

// The test build (go build -tags mfadtest) lets end-to-end tests move the
// server's clock, so no test sleeps through a TOTP window, and crash inside
// a transaction at a named point (MFAD_CRASH_AT). A release build has
// neither: this file is not compiled without the tag.
func testHooks(mux *http.ServeMux, a *app) {
	a.log.Warn("TEST BUILD: clock and crash hooks are enabled; never run this build in production")
	mux.HandleFunc("POST /debug/clock", func(w http.ResponseWriter, r *http.Request) {
		// advance moves the server through time (its database too);
		// skew sets this machine's clock wrong, the database's right.
		var req struct {
			Advance string `json:"advance"`
			Skew    string `json:"skew"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		target, what := &a.clock.offset, req.Advance
		if req.Skew != "" {
			target, what = &a.clock.skew, req.Skew
		}
		d, err := time.ParseDuration(what)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		target.Add(int64(d))
		_ = json.NewEncoder(w).Encode(map[string]any{"now": a.clock.Now().UTC()})
	})
	if point := os.Getenv("MFAD_CRASH_AT"); point != "" {
		a.svc.CrashPoint = func(name string) {
			if name == point {
				os.Exit(137) // like SIGKILL: no deferred cleanup, no rollback
			}
		}
	}
}

// codeTime is the time mfad code prints the code of: in the test build,
// now moved by MFAD_TEST_CLOCK_OFFSET (a duration), so that a test that
// moved a server's clock through /debug/clock gets that server's current
// code from mfad code (the README walkthrough test does).
func codeTime() time.Time {
	d, _ := time.ParseDuration(os.Getenv("MFAD_TEST_CLOCK_OFFSET"))
	return time.Now().Add(d)
}
