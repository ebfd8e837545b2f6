#!/usr/bin/env bash
# install-go-tool.sh NAME MODULE PACKAGE VERSION installs a Go command into
# <repo>/.tools/bin (ignored by git) with go install PACKAGE@VERSION, unless a
# binary built from MODULE at VERSION is already there. It prints one line.
#   scripts/install-go-tool.sh staticcheck honnef.co/go/tools honnef.co/go/tools/cmd/staticcheck v0.8.2
set -euo pipefail
[[ $# -eq 4 ]] || { echo "usage: $0 NAME MODULE PACKAGE VERSION" >&2; exit 2; }
name=$1 module=$2 package=$3 version=$4

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/.tools"
mkdir -p "$tools/bin"
bin="$tools/bin/$name"
# go version -m reads the module version the binary was built from.
if [[ -x "$bin" ]] && go version -m "$bin" 2>/dev/null |
	grep -Eq "^[[:space:]]+mod[[:space:]]+$module[[:space:]]+$version([[:space:]]|$)"; then
	echo "$name $version: already there ($bin)"
	exit 0
fi
# Outside the repository's module: go install pkg@version builds in module
# mode from the proxy, whatever the working directory, and keeps the tool's
# dependencies out of aloft's go.mod.
echo "$name $version: building" >&2
(cd "$tools" && GOBIN="$tools/bin" GOFLAGS=-mod=mod go install "$package@$version")
echo "$name $version: installed ($bin)"
