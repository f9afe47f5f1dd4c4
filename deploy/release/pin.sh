#!/usr/bin/env bash
# `make release-pin`: the prod overlay's images, pinned by digest. Writes deploy/k8s/overlays/prod/images/
# (a kustomize Component of image overrides only, so the overlay's own file keeps its comments) with
# `kustomize edit set image trust-portal/<service>=$REGISTRY/<service>@<digest>` for every service, from the
# digests in $DIGESTS/<service>.digest: the release workflow's pushed digests, or `make images`' own.
#   REGISTRY=ghcr.io/trust-portal DIGESTS=.local/images [COMPONENT=dir] deploy/release/pin.sh
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
REGISTRY="${REGISTRY:-ghcr.io/trust-portal}"
DIGESTS="$(cd "${DIGESTS:-$ROOT/.local/images}" && pwd)"
COMPONENT="${COMPONENT:-$ROOT/deploy/k8s/overlays/prod/images}"
KUSTOMIZE="${KUSTOMIZE:-kustomize}"
SERVICES=(onboarding portal-api slsa-watch evidence board)
pins=()
for service in "${SERVICES[@]}"; do
  file="$DIGESTS/$service.digest"
  [ -f "$file" ] || { echo "release-pin: no digest for $service ($file); run make images" >&2; exit 1; }
  digest="$(tr -d '[:space:]' <"$file")"
  [[ "$digest" =~ ^sha256:[0-9a-f]{64}$ ]] || { echo "release-pin: $file holds '$digest', not sha256:<64 hex>" >&2; exit 1; }
  pins+=("trust-portal/$service=$REGISTRY/$service@$digest")
done
cd "$COMPONENT"
"$KUSTOMIZE" edit set image "${pins[@]}"
printf 'release-pin: %s\n' "${pins[@]}"
