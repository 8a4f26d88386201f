#!/usr/bin/env bash
# Release builds of mfad: static binaries (no cgo) for linux/amd64 and
# linux/arm64, with SHA-256 sums.
#
#   deploy/release.sh [VERSION] [OUTDIR]
#
# VERSION defaults to `git describe --tags --always --dirty`, OUTDIR to dist/.
# PLATFORMS="linux/amd64 linux/arm64" (the default) may name others.
# Each binary is built with -trimpath (no local paths in it), -buildvcs=true
# (so `mfad version` shows the commit; this overrides a GOFLAGS that says
# -buildvcs=false), and -ldflags -X github.com/mfad/mfad.Version=VERSION.
# Release builds never carry the mfadtest tag, so the test-only clock and
# crash hooks are not in them.
set -euo pipefail
cd "$(dirname "$0")/.."

version=${1:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
out=${2:-dist}
platforms=${PLATFORMS:-linux/amd64 linux/arm64}
case $version in
  *[!A-Za-z0-9._+-]*) echo "release.sh: bad version '$version'" >&2; exit 2 ;;
esac

mkdir -p "$out"
built=()
for p in $platforms; do
  goos=${p%/*} goarch=${p#*/}
  name="mfad-$version-$goos-$goarch"
  echo "building $name" >&2
  CGO_ENABLED=0 GOOS=$goos GOARCH=$goarch go build \
    -trimpath -buildvcs=true \
    -ldflags "-s -w -X github.com/mfad/mfad.Version=$version" \
    -o "$out/$name" ./cmd/mfad
  built+=("$name")
done
(cd "$out" && sha256sum "${built[@]}" > "SHA256SUMS-$version")
echo "$out:" >&2
(cd "$out" && ls -l "${built[@]}" "SHA256SUMS-$version") >&2
