"""deploy/k8s validated offline: kustomize renders every overlay, core objects match the Kubernetes
schemas (kubernetes-validate, strict), Strimzi topics match their CRD's shape, and house rules hold."""

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

ROOT = Path(__file__).resolve().parents[2]
OVERLAYS = sorted(p.name for p in (ROOT / "deploy/k8s/overlays").iterdir())
K8S_VERSION = "1.33.0"

# The part of Strimzi's KafkaTopic CRD (kafka.strimzi.io/v1: Strimzi 1.0 removed v1beta2) that these manifests use.
KAFKA_TOPIC = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "kafka.strimzi.io/v1"},
        "metadata": {
            "type": "object",
            "required": ["name", "labels"],
            "properties": {"labels": {"type": "object", "required": ["strimzi.io/cluster"]}},
        },
        "spec": {
            "type": "object",
            "additionalProperties": False,
            "required": ["partitions", "replicas"],
            "properties": {
                "topicName": {"type": "string", "pattern": r"^[a-zA-Z0-9._-]{1,249}$"},
                "partitions": {"type": "integer", "minimum": 1},
                "replicas": {"type": "integer", "minimum": 1, "maximum": 32767},
                "config": {"type": "object", "additionalProperties": {"type": ["string", "integer", "boolean"]}},
            },
        },
    },
}


# The part of the Prometheus Operator's PrometheusRule CRD (v1) that these manifests use.
PROMETHEUS_RULE = {
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


def render(overlay: str) -> list[dict]:
    kustomize = shutil.which("kustomize") or str(ROOT / ".local/bin/kustomize")
    out = subprocess.run(
        [kustomize, "build", str(ROOT / "deploy/k8s/overlays" / overlay)], capture_output=True, text=True, check=True
    ).stdout
    return [doc for doc in yaml.safe_load_all(out) if doc]


@pytest.fixture(scope="module", params=OVERLAYS)
def docs(request) -> list[dict]:
    return render(request.param)


def test_there_are_dev_and_prod_overlays():
    assert {"dev", "prod"} <= set(OVERLAYS)


def test_every_object_is_valid_against_its_schema(docs):
    for doc in docs:
        if doc["kind"] == "KafkaTopic":
            jsonschema.validate(doc, KAFKA_TOPIC)
        elif doc["kind"] == "PrometheusRule":
            jsonschema.validate(doc, PROMETHEUS_RULE)
        else:
            kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


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
