"""deploy/k8s validated offline: kustomize renders every overlay, core objects match the Kubernetes
schemas (kubernetes-validate, strict), custom resources the real CRDs of Strimzi, KEDA, prometheus-operator
and the OpenTelemetry operator (vendored in deploy/k8s/crds/), and house rules hold."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml
from board.settings import BoardSettings
from evidence.settings import EvidenceSettings
from onboarding.settings import OnboardingSettings
from portal_api.settings import PortalSettings
from pydantic_settings import BaseSettings
from slsa_watch.settings import SlsaWatchSettings

from tests.deploy.crds import crd_schemas
from tests.deploy.trees import strings_under

ROOT = Path(__file__).resolve().parents[2]
OVERLAYS = sorted(p.name for p in (ROOT / "deploy/k8s/overlays").iterdir())
K8S_VERSION = "1.33.0"
# API groups Kubernetes itself serves (validated by kubernetes-validate); any other dotted group is a CRD's.
K8S_GROUPS = ("networking.k8s.io", "policy", "autoscaling", "apps", "batch", "rbac.authorization.k8s.io")

# House rules for PrometheusRules, beyond the CRD: alerts named in CamelCase, with a severity and a summary,
# `for` in s/m/h (not d), records named as Prometheus names them.
PROMETHEUS_RULE_HOUSE_RULES = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "monitoring.coreos.com/v1"},
        "spec": {
            "type": "object",
            "additionalProperties": False,
            "required": ["groups"],
            "properties": {
                "groups": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["name", "rules"],
                        "properties": {
                            "name": {"type": "string"},
                            "rules": {
                                "type": "array",
                                "items": {
                                    "oneOf": [
                                        {
                                            "type": "object",
                                            "additionalProperties": False,
                                            "required": ["alert", "expr", "labels", "annotations"],
                                            "properties": {
                                                "alert": {"type": "string", "pattern": "^[A-Z][A-Za-z0-9]+$"},
                                                "expr": {"type": "string", "minLength": 1},
                                                "for": {"type": "string", "pattern": "^[0-9]+[smh]$"},
                                                "labels": {"type": "object", "required": ["severity"]},
                                                "annotations": {"type": "object", "required": ["summary"]},
                                            },
                                        },
                                        {
                                            "type": "object",
                                            "additionalProperties": False,
                                            "required": ["record", "expr"],
                                            "properties": {
                                                "record": {"type": "string", "pattern": "^[a-z_:][a-z0-9_:]*$"},
                                                "expr": {"type": "string", "minLength": 1},
                                                "labels": {"type": "object"},
                                            },
                                        },
                                    ]
                                },
                            },
                        },
                    },
                }
            },
        },
    },
}


KUSTOMIZE = shutil.which("kustomize") or str(ROOT / ".local/bin/kustomize")
SERVICES = ("onboarding", "portal-api", "slsa-watch", "evidence", "board")


def render(overlay: str | Path) -> list[dict]:
    path = overlay if isinstance(overlay, Path) else ROOT / "deploy/k8s/overlays" / overlay
    out = subprocess.run([KUSTOMIZE, "build", str(path)], capture_output=True, text=True, check=True).stdout
    return [doc for doc in yaml.safe_load_all(out) if doc]


def images_of(docs: list[dict]) -> set[str]:
    """Every container image a rendering names (Deployments, Jobs, init containers alike)."""
    return set(strings_under(docs, "image"))


def test_prod_runs_every_service_by_digest_from_the_registry_and_dev_by_tag():
    by_digest = re.compile(r"ghcr\.io/trust-portal/(?P<service>[a-z-]+)@sha256:[0-9a-f]{64}")
    prod = images_of(render("prod"))
    assert all(by_digest.fullmatch(image) for image in prod), sorted(prod)
    assert {by_digest.fullmatch(image)["service"] for image in prod} == set(SERVICES)
    assert images_of(render("dev")) == {f"trust-portal/{service}:dev" for service in SERVICES}  # built locally


def test_release_pin_writes_each_digest_it_is_given_and_refuses_a_malformed_one(tmp_path):
    shutil.copytree(ROOT / "deploy/k8s", tmp_path / "k8s")
    digests = tmp_path / "digests"
    digests.mkdir()
    given = {service: f"sha256:{n:064x}" for n, service in enumerate(SERVICES, start=1)}
    for service, digest in given.items():
        (digests / f"{service}.digest").write_text(digest + "\n")
    env = {"PATH": f"{Path(KUSTOMIZE).parent}:/usr/bin:/bin", "REGISTRY": "registry.example/tp",
           "DIGESTS": str(digests), "COMPONENT": str(tmp_path / "k8s/overlays/prod/images")}  # fmt: skip
    pin = [str(ROOT / "deploy/release/pin.sh")]
    subprocess.run(["bash", *pin], env=env, capture_output=True, text=True, check=True)
    assert images_of(render(tmp_path / "k8s/overlays/prod")) == {
        f"registry.example/tp/{service}@{digest}" for service, digest in given.items()
    }
    (digests / "board.digest").write_text("sha256:abc\n")
    refused = subprocess.run(["bash", *pin], env=env, capture_output=True, text=True, check=False)
    assert refused.returncode == 1 and "board.digest holds 'sha256:abc'" in refused.stderr


@pytest.fixture(scope="module", params=OVERLAYS)
def docs(request) -> list[dict]:
    return render(request.param)


def test_there_are_dev_and_prod_overlays():
    assert {"dev", "prod"} <= set(OVERLAYS)


def test_every_object_is_valid_against_its_schema(docs):
    """Core objects against Kubernetes' schemas; custom resources against their vendored CRDs (none without)."""
    schemas = crd_schemas()
    for doc in docs:
        if "." in doc["apiVersion"].split("/")[0] and not doc["apiVersion"].startswith(K8S_GROUPS):
            schema = schemas.get((doc["apiVersion"], doc["kind"]))
            assert schema is not None, f"no vendored CRD for {doc['apiVersion']} {doc['kind']}"
            jsonschema.validate(doc, schema)
        else:
            kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
        if doc["kind"] == "PrometheusRule":
            jsonschema.validate(doc, PROMETHEUS_RULE_HOUSE_RULES)


def test_the_manifests_use_every_vendored_crd_and_the_crds_are_strict(docs):
    used = {(d["apiVersion"], d["kind"]) for d in docs}
    assert {("kafka.strimzi.io/v1", "KafkaTopic"), ("keda.sh/v1alpha1", "ScaledObject"),
            ("monitoring.coreos.com/v1", "PodMonitor"), ("monitoring.coreos.com/v1", "PrometheusRule"),
            ("opentelemetry.io/v1beta1", "OpenTelemetryCollector")} <= used  # fmt: skip
    scaled = next(d for d in docs if d["kind"] == "ScaledObject")
    typo = {**scaled, "spec": {**scaled["spec"], "maxReplicas": 3}}
    with pytest.raises(jsonschema.ValidationError, match="maxReplicas"):
        jsonschema.validate(typo, crd_schemas()[("keda.sh/v1alpha1", "ScaledObject")])
    assert ("kafka.strimzi.io/v1beta2", "KafkaTopic") not in crd_schemas(), "Strimzi 1.0 removed v1beta2"


def deployments(docs):
    return [d for d in docs if d["kind"] == "Deployment"]


def test_deployments_run_hardened_with_probes_and_resources(docs):
    assert deployments(docs)
    for deployment in deployments(docs):
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        for container in pod["containers"]:
            ctx = container["securityContext"]
            assert ctx["readOnlyRootFilesystem"] is True and ctx["allowPrivilegeEscalation"] is False
            assert ctx["capabilities"]["drop"] == ["ALL"]
            assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
            assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
            assert container["resources"]["requests"] and container["resources"]["limits"]["memory"]


def test_every_deployment_has_a_disruption_budget_and_a_network_policy(docs):
    names = {d["metadata"]["name"] for d in deployments(docs)}
    assert names <= {d["metadata"]["name"] for d in docs if d["kind"] == "PodDisruptionBudget"}
    assert names <= {d["metadata"]["name"] for d in docs if d["kind"] == "NetworkPolicy"}


def test_every_topic_has_a_dead_letter_twin(docs):
    topics = {d["spec"]["topicName"] for d in docs if d["kind"] == "KafkaTopic"}
    assert {"tenant.intake.v1", "tenant.events.v1", "audit.events.v1", "policy.events.v1"} <= topics
    assert all(f"{t}.dlq" in topics for t in topics if not t.endswith(".dlq"))


SETTINGS: dict[str, type[BaseSettings]] = {
    "ONBOARDING_": OnboardingSettings,
    "PORTAL_": PortalSettings,
    "SLSA_WATCH_": SlsaWatchSettings,
    "EVIDENCE_": EvidenceSettings,
    "BOARD_": BoardSettings,
}


# The processes a settings prefix serves (its probes and /metrics): the board's prober listens on its own.
SERVING = {"BOARD_": ("BOARD_", "BOARD_PROBE_")}


def test_config_keys_are_settings_the_services_read(docs):
    for config in (d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"].endswith("-config")):
        for key in config["data"]:
            prefix = next((p for p in SETTINGS if key.startswith(p)), None)
            if prefix is None:
                assert key.startswith("OTEL_"), key
                continue
            known = {f"{prefix}{name.upper()}" for name in SETTINGS[prefix].model_fields}
            served = {f"{p}{what}" for p in SERVING.get(prefix, (prefix,)) for what in ("HTTP_HOST", "HTTP_PORT")}
            assert key in known | served, f"{key} is read by no service"


def test_secrets_are_referenced_not_inlined_in_deployments(docs):
    for deployment in deployments(docs):
        for env in deployment["spec"]["template"]["spec"]["containers"][0].get("env", []):
            if any(word in env["name"] for word in ("KEY", "URI", "JWKS", "SECRET")):
                assert "secretKeyRef" in env.get("valueFrom", {}), env["name"]


def test_autoscalers_and_ingresses_point_at_what_exists(docs):
    names = {(d["kind"], d["metadata"]["name"]) for d in docs}
    for hpa in (d for d in docs if d["kind"] == "HorizontalPodAutoscaler"):
        assert ("Deployment", hpa["spec"]["scaleTargetRef"]["name"]) in names
        assert hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
    for ingress in (d for d in docs if d["kind"] == "Ingress"):
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                assert ("Service", path["backend"]["service"]["name"]) in names
        assert ingress["spec"]["tls"], "the portal is served over TLS only"


def exported_metrics() -> set[str]:
    """Every metric name the services and the service kit declare (Counter, Gauge, Histogram)."""
    names = set()
    for source in [*ROOT.glob("services/*/src/**/*.py"), *ROOT.glob("libs/*/src/**/*.py")]:
        names |= set(re.findall(r'"(trustportal_[a-z0-9_]+)"', source.read_text()))
        names |= {f"trustportal_runner_{n}" for n in re.findall(r'gauge\("([a-z_]+)"', source.read_text())}
    return names


def test_every_alert_reads_metrics_the_services_export_or_series_recorded_from_them(docs):
    everything = [r for d in docs if d["kind"] == "PrometheusRule" for g in d["spec"]["groups"] for r in g["rules"]]
    rules = [r for r in everything if "alert" in r]
    recorded = {r["record"] for r in everything if "record" in r}
    assert {"RunnerQueueSaturated", "EvidenceTimeToPackSlow", "DeadLettersGrowing",
            "PortalAvailabilityBudgetBurn"} <= {r["alert"] for r in rules}  # fmt: skip
    exported = exported_metrics()
    for rule in [*rules, *(r for r in everything if "record" in r)]:
        used = set(re.findall(r"trustportal_[a-z0-9_]+", rule["expr"]))
        reads = {m for m in re.findall(r"[a-z_]+:[a-z0-9_:]+", rule["expr"]) if m in recorded}
        assert used or reads or "record" in rule, rule.get("alert")  # (Sloth records constants too)
        unknown = {m for m in used if re.sub(r"_(bucket|count|sum)$", "", m) not in exported}
        assert not unknown, (rule.get("alert") or rule["record"], unknown)


def matches(selector: dict, labels: dict) -> bool:
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


def test_every_deployment_is_scraped_by_a_pod_monitor_on_a_port_it_exposes(docs):
    monitors = [d for d in docs if d["kind"] == "PodMonitor"]
    for deployment in deployments(docs):
        pod = deployment["spec"]["template"]
        ports = {p["name"] for c in pod["spec"]["containers"] for p in c.get("ports", [])}
        mine = [m for m in monitors if matches(m["spec"]["selector"], pod["metadata"]["labels"])]
        assert len(mine) == 1, deployment["metadata"]["name"]
        for endpoint in mine[0]["spec"]["podMetricsEndpoints"]:
            assert endpoint["port"] in ports and endpoint["path"] == "/metrics", deployment["metadata"]["name"]


# The consumer groups each scaled Deployment's subscribers use (the settings' defaults; config maps keep them).
SCALED_GROUPS = {
    "evidence": {EvidenceSettings().group_id},
    "onboarding": {OnboardingSettings().group_id},
    "slsa-watch": {SlsaWatchSettings().group_id},
    "board": {f"{BoardSettings().group_id}-{g}" for g in ("sla", "billing", "facts", "requests")},
}


def test_keda_scales_the_consumers_on_their_own_groups_lag_within_their_topics_partitions(docs):
    names = {(d["kind"], d["metadata"]["name"]) for d in docs}
    topics = {d["spec"]["topicName"]: d["spec"]["partitions"] for d in docs if d["kind"] == "KafkaTopic"}
    hpas = {d["spec"]["scaleTargetRef"]["name"] for d in docs if d["kind"] == "HorizontalPodAutoscaler"}
    scaled = [d for d in docs if d["kind"] == "ScaledObject"]
    assert {s["spec"]["scaleTargetRef"]["name"] for s in scaled} == set(SCALED_GROUPS)
    for obj in scaled:
        target = obj["spec"]["scaleTargetRef"]["name"]
        assert ("Deployment", target) in names and target not in hpas, target
        kafka = [t["metadata"] for t in obj["spec"]["triggers"] if t["type"] == "kafka"]
        assert kafka and {t["consumerGroup"] for t in kafka} <= SCALED_GROUPS[target], target
        assert all(t["topic"] in topics for t in kafka), target
        most = max(topics[t["topic"]] for t in kafka)
        assert obj["spec"]["minReplicaCount"] <= obj["spec"]["maxReplicaCount"] <= most, target


def test_every_service_exports_traces_to_the_collector_whose_pipelines_are_wired(docs):
    [collector] = [d for d in docs if d["kind"] == "OpenTelemetryCollector"]
    config = collector["spec"]["config"]
    for pipeline in config["service"]["pipelines"].values():
        for part in ("receivers", "processors", "exporters"):
            assert set(pipeline[part]) <= set(config[part]), part
    port = int(config["receivers"]["otlp"]["protocols"]["http"]["endpoint"].rsplit(":", 1)[1])
    endpoint = f"http://{collector['metadata']['name']}-collector:{port}"
    maps = [d for d in docs if d["kind"] == "ConfigMap" and "OTEL_SERVICE_NAME" in d.get("data", {})]
    assert len(maps) == 5
    for cm in maps:
        assert cm["data"]["OTEL_EXPORTER_OTLP_ENDPOINT"] == endpoint, cm["metadata"]["name"]
    backend = next(d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "otel-backend")
    assert backend["data"]["endpoint"].startswith(("http://", "https://"))
