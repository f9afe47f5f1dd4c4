#!/usr/bin/env bash
# `make test`, stage by stage: each stage timed, a summary of the times at the end, the first failure stops it.
# A stage written `a+b` runs make targets a and b at once (two cores: a CPU-bound one beside one that mostly
# waits on the network or on child processes); each writes its own log, shown when it ends.
#
#   .ci/stages.sh install lint typecheck+k8s-validate test-unit+images test-integration ...
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
logs=.local/ci
mkdir -p "$logs"
summary=()
started=$SECONDS

seconds() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

report() {
  echo
  echo "stages:"
  printf '  %s\n' "${summary[@]}"
  echo "  total $(seconds $((SECONDS - started)))"
}

for stage in "$@"; do
  IFS=+ read -r -a targets <<<"$stage"
  t0=$SECONDS
  echo "=== $stage"
  status=0
  if [ ${#targets[@]} -eq 1 ]; then
    make --no-print-directory "${targets[0]}" || status=$?
  else
    pids=()
    for target in "${targets[@]}"; do
      make --no-print-directory "$target" >"$logs/$target.log" 2>&1 &
      pids+=($!)
    done
    for i in "${!targets[@]}"; do
      rc=0
      wait "${pids[$i]}" || rc=$?
      echo "--- ${targets[$i]} (exit $rc)"
      cat "$logs/${targets[$i]}.log"
      [ $rc -eq 0 ] || status=$rc
    done
  fi
  summary+=("$(printf '%-36s %s%s' "$stage" "$(seconds $((SECONDS - t0)))" "$([ $status -eq 0 ] || echo "  FAILED ($status)")")")
  if [ $status -ne 0 ]; then
    report
    exit $status
  fi
done
report
