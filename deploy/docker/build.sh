#!/usr/bin/env bash
# `make images`: every service's image, built here with podman on a local mmdebstrap base (no registry
# pull), each with its CycloneDX SBOM and signed SLSA provenance beside it in .local/images/. Same commit ->
# same image digests: the build's time is the commit's (SOURCE_DATE_EPOCH, --timestamp) and nothing in the
# image carries the clock.
#   deploy/docker/build.sh [SERVICE...]      (default: all; VERSION, REVISION from the environment or git;
#                                             NO_CACHE=1 rebuilds every layer)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
OUT="$ROOT/.local/images"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$ROOT/deploy/docker/containers.conf}"
VERSION="${VERSION:-0.1.0}"
REVISION="${REVISION:-$(git rev-parse HEAD 2>/dev/null || echo unknown)}"
EPOCH="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}"
CA=/etc/ssl/certs/ca-certificates.crt  # the host's bundle: PyPI through this network's proxy needs it
BASE_PACKAGES="python3,python3-venv,libatomic1,ca-certificates"
BASE_TAG="trust-portal/base:bookworm-$(echo "$BASE_PACKAGES" | sha256sum | cut -c1-12)"
SERVICES=("$@")
[ ${#SERVICES[@]} -gt 0 ] || SERVICES=(onboarding portal-api slsa-watch evidence board)

command_of() {  # the process each image runs, as deploy/k8s names it
  case "$1" in onboarding) echo onboarding-service ;; *) echo "$1" ;; esac
}

stage() { printf '%s images: %s\n' "$(date +%H:%M:%S)" "$*"; }

mkdir -p "$OUT"
if ! podman image exists "$BASE_TAG"; then
  stage "base: mmdebstrap bookworm minbase + $BASE_PACKAGES"
  work="$(mktemp -d)"
  SOURCE_DATE_EPOCH="$EPOCH" mmdebstrap --quiet --variant=minbase --include="$BASE_PACKAGES" \
    --aptopt='Acquire::Retries "3"' bookworm "$work/rootfs.tar" http://deb.debian.org/debian
  cp deploy/docker/base.Containerfile "$work/Containerfile"
  podman build -q --timestamp "$EPOCH" -t "$BASE_TAG" "$work" >/dev/null
  rm -rf "$work"
fi
BASE_DIGEST="$(podman image inspect --format '{{.Digest}}' "$BASE_TAG")"
for service in "${SERVICES[@]}"; do
  stage "$service"
  # One set of arguments for both passes, so the SBOM pass reuses the image's build stage layer for layer.
  args=(--network=host -v "$CA:$CA:ro" --build-arg BASE="localhost/$BASE_TAG" --build-arg SERVICE="$service"
        --build-arg COMMAND="$(command_of "$service")" --build-arg SOURCE_DATE_EPOCH="$EPOCH"
        --build-arg VERSION="$VERSION" --build-arg REVISION="$REVISION" --timestamp "$EPOCH"
        -f deploy/docker/Dockerfile)
  podman build -q "${args[@]}" ${NO_CACHE:+--no-cache} -t "trust-portal/$service:$VERSION" . >/dev/null
  digest="$(podman image inspect --format '{{.Digest}}' "trust-portal/$service:$VERSION")"
  # The SBOM cyclonedx-py made of the image's environment in the build stage (same layers: cached).
  podman build -q "${args[@]}" --target build -t "trust-portal/$service-build:$VERSION" . >/dev/null
  holder="$(podman create "trust-portal/$service-build:$VERSION")"
  podman cp "$holder:/opt/sbom.cdx.json" "$OUT/$service.cdx.json"
  podman cp "$holder:/opt/installed.json" "$OUT/$service.installed.json"
  podman rm "$holder" >/dev/null
  echo "$digest" > "$OUT/$service.digest"
  # Its SLSA provenance (in-toto Statement v1, DSSE-signed by the release key): deploy/release/provenance.py.
  REVISION="$REVISION" SOURCE_DATE_EPOCH="$EPOCH" "${UV:-uv}" run --frozen python deploy/release/provenance.py \
    --service "$service" --image "trust-portal/$service" --digest "$digest" \
    --installed "$OUT/$service.installed.json" --base-image "localhost/$BASE_TAG" \
    --base-digest "$BASE_DIGEST" --out "$OUT/$service.intoto.jsonl"
  stage "$service: $digest ($(podman image inspect --format '{{.Size}}' "trust-portal/$service:$VERSION") bytes)"
done
