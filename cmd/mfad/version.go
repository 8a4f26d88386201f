package main

import (
	"runtime/debug"

	"github.com/mfad/mfad"
)

// version is mfad's version: mfad.Version when the build set it
// (-ldflags "-X github.com/mfad/mfad.Version=v1.2.3", as deploy/release.sh
// does), else the module version go install recorded
// (go install github.com/mfad/mfad/cmd/mfad@v1.2.3), else "dev".
func version() string {
	if mfad.Version != "dev" {
		return mfad.Version
	}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	return mfad.Version
}

// revision returns the VCS revision the binary was built from, with
// "+dirty" for uncommitted changes, or "unknown" (a build with
// -buildvcs=false, or outside a repository).
func revision() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	rev, dirty := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "unknown"
	}
	if dirty {
		rev += "+dirty"
	}
	return rev
}

// goVersion is the Go release that built the binary.
func goVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		return info.GoVersion
	}
	return "unknown"
}
