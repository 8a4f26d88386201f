//go:build !mfadtest

package main

import "net/http"

// testHooks does nothing in a release build; see hooks_test_build.go.
func testHooks(*http.ServeMux, *app) {}
