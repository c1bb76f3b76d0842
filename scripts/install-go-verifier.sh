#!/usr/bin/env bash
# Builds test/interop/bin/verify-go, the Go reference check of our signed checkpoints and Merkle
# proofs (golang.org/x/mod/sumdb/note and sumdb/tlog). Uses Debian's packages: Go and the x/mod
# source in /usr/share/gocode, built in GOPATH mode, so nothing is downloaded from the Go proxy.
# Installs the packages (apt-get, needs root) only when `go` or the x/mod source is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
gocode=/usr/share/gocode
if ! command -v go >/dev/null 2>&1 || [ ! -d "$gocode/src/golang.org/x/mod/sumdb/note" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-go-verifier: need golang-go and golang-golang-x-mod-dev (run as root or install them)" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq golang-go golang-golang-x-mod-dev >/dev/null
fi
mkdir -p test/interop/bin
GO111MODULE=off GOPATH="$gocode" GOFLAGS= GOCACHE="${GOCACHE:-$PWD/test/interop/bin/.gocache}" \
  go build -o test/interop/bin/verify-go ./test/interop/verify.go
echo "built test/interop/bin/verify-go ($(go version))"
