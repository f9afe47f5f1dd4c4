#!/usr/bin/env bash
# A pinned tool binary in .local/bin, made once per version into a cache every checkout on the machine shares
# (a fresh clone copies it instead of building it again; CI caches the same directory).
#
#   deploy/local/tool.sh go NAME MODULE@VERSION    (built with `go install` from the Go module proxy)
#   deploy/local/tool.sh deb NAME PACKAGE PATH     (PATH taken out of Debian's PACKAGE; nothing installed)
#
# Environment: TOOLS_CACHE (default ~/.cache/trust-portal/tools).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cache=${TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/trust-portal/tools}
kind=$1 name=$2
case "$kind" in
  go) version=${3##*@} ;;
  deb) version=$(apt-cache policy "$3" 2>/dev/null | awk '/Candidate:/ {print $2}'); version=${version:-unknown} ;;
  *) echo "tool.sh: unknown kind $kind (go or deb)" >&2; exit 2 ;;
esac
bin=$root/.local/bin/$name stamp=$root/.local/bin/.$name.version cached=$cache/$name-$version
if [ -x "$bin" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$version" ]; then exit 0; fi
mkdir -p "$cache" "$root/.local/bin"
if [ ! -x "$cached" ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  if [ "$kind" = go ]; then
    echo "tools: building $name $version from the Go module proxy (once per machine, into $cache)"
    GOBIN=$work go install "$3"
    built=$work/$name
  else
    echo "tools: $name from Debian's $3 $version (once per machine, into $cache)"
    (cd "$work" && { apt-get download -qq "$3" 2>/dev/null || { apt-get update -qq && apt-get download -qq "$3"; }; } \
      && dpkg-deb -x ./*.deb root)
    built=$work/root/$4
  fi
  install -m 0755 "$built" "$cached.$$" && mv "$cached.$$" "$cached"  # atomic: two checkouts may race
fi
install -m 0755 "$cached" "$bin"
echo "$version" >"$stamp"
