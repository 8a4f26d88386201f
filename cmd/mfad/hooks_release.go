//go:build !mfadtest

package main

import (
	"net/http"
	"time"
)

// testHooks does nothing in a release build; see hooks_test_build.go.
func testHooks(*http.ServeMux, *app) {}

// codeTime is the time mfad code prints the code of: now.
func codeTime() time.Time { return time.Now() }
