#!/usr/bin/env bash
# Install the Debian packages given as arguments, but only those that are missing.
#
# CI starts on a fresh Debian 12 machine, so `make` has to install what it needs; on a
# developer's machine everything is usually there already and nothing should be touched
# (no apt-get update, no sudo prompt). Used by `make sysdeps`.
set -euo pipefail

if [ "$#" -eq 0 ]; then
    echo "usage: $0 PACKAGE..." >&2
    exit 2
fi

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "sysdeps: not a Debian-like system; make sure these are installed yourself: $*" >&2
    exit 0
fi

missing=()
for pkg in "$@"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
    [ "$status" = installed ] || missing+=("$pkg")
done

if [ "${#missing[@]}" -eq 0 ]; then
    echo "sysdeps: all present ($*)"
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
else
    echo "sysdeps: missing ${missing[*]}; not root and no sudo, install them as root:" >&2
    echo "    apt-get install -y ${missing[*]}" >&2
    exit 1
fi

echo "sysdeps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has empty package lists, so update before the one install we need.
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "sysdeps: installed ${missing[*]}"
