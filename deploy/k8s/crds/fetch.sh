#!/usr/bin/env bash
# Vendor the CRDs the manifests use, each at a pinned version, with its licence (`make crds`; see README.md).
# KEDA, prometheus-operator and the OpenTelemetry operator: their module zips from the Go module proxy.
# Strimzi: its CRD generator run on its own API classes (both from Maven Central), as Strimzi's build does.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
PROXY="${GOPROXY_URL:-https://proxy.golang.org}"
KEDA=v2.21.1 PROM=v0.85.0 OTEL=v0.140.0 STRIMZI=1.2.0
JAVA="${JAVA21:-$(find /usr/lib/jvm -maxdepth 3 -path '*/temurin-2[1-9]*/bin/java' 2>/dev/null | sort | tail -1)}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

from_module() {  # module version dir file...
  local module=$1 version=$2 dir=$3; shift 3
  curl -fsSL -o "$WORK/m.zip" "$PROXY/$module/@v/$version.zip"
  mkdir -p "$HERE/$dir"
  for f in "$@" LICENSE; do
    unzip -p "$WORK/m.zip" "$module@$version/$f" > "$HERE/$dir/$(basename "$f")"
  done
}

from_module github.com/kedacore/keda/v2 $KEDA keda config/crd/bases/keda.sh_scaledobjects.yaml
from_module github.com/prometheus-operator/prometheus-operator $PROM prometheus-operator \
  example/prometheus-operator-crd/monitoring.coreos.com_podmonitors.yaml \
  example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml
from_module github.com/open-telemetry/opentelemetry-operator $OTEL opentelemetry-operator \
  config/crd/bases/opentelemetry.io_opentelemetrycollectors.yaml

# Strimzi publishes its CRDs only in its release bundles; its build makes them with crd-generator (Java 21+).
cat > "$WORK/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
  <groupId>local</groupId><artifactId>strimzi-crds</artifactId><version>0</version>
  <dependencies>
    <dependency><groupId>io.strimzi</groupId><artifactId>crd-generator</artifactId><version>$STRIMZI</version></dependency>
    <dependency><groupId>io.strimzi</groupId><artifactId>api</artifactId><version>$STRIMZI</version></dependency>
  </dependencies>
</project>
POM
(cd "$WORK" && mvn -q -B dependency:copy-dependencies -DoutputDirectory=lib -DincludeScope=runtime)
mkdir -p "$HERE/strimzi"
"$JAVA" -cp "$WORK/lib/*" io.strimzi.crdgenerator.CrdGenerator --yaml --crd-api-version v1 --api-versions v1 \
  --storage-version v1 io.strimzi.api.kafka.model.topic.KafkaTopic="$HERE/strimzi/kafka.strimzi.io_kafkatopics.yaml"
cp "$HERE/keda/LICENSE" "$HERE/strimzi/LICENSE"  # Strimzi is Apache-2.0 too; its jars carry no licence file
echo "crds: keda $KEDA, prometheus-operator $PROM, opentelemetry-operator $OTEL, strimzi $STRIMZI"
