"""The vendored CRDs (deploy/k8s/crds/) as JSON Schemas, one per served apiVersion and kind.

A CRD's openAPIV3Schema is JSON Schema with Kubernetes' extensions; validation is made strict the way
`kubectl apply --validate=strict` is: an object that declares its properties refuses any other, unless the
CRD keeps unknown fields (x-kubernetes-preserve-unknown-fields); `nullable` admits null; Go's mid-pattern
`(?i)` moves to the front, where Python's re wants it.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
CRDS = ROOT / "deploy/k8s/crds"


def strict(schema: Any) -> Any:
    """The schema with closed objects and nullable fields, recursively."""
    if isinstance(schema, list):
        return [strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: strict(v) if k not in ("enum", "required", "example", "default") else v for k, v in schema.items()}
    keeps_unknown = out.get("x-kubernetes-preserve-unknown-fields")
    if "properties" in out and "additionalProperties" not in out and not keeps_unknown:
        out["additionalProperties"] = False
    if isinstance(out.get("pattern"), str) and "(?i)" in out["pattern"]:  # Go allows the flag mid-pattern
        out["pattern"] = "(?i)" + out["pattern"].replace("(?i)", "")
    if out.get("nullable") and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    return out


@cache
def crd_schemas() -> dict[tuple[str, str], dict[str, Any]]:
    """(apiVersion, kind) -> the strict JSON Schema of that version of the resource."""
    schemas = {}
    for path in sorted(CRDS.glob("*/*.yaml")):
        crd = yaml.safe_load(path.read_text())
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            if version.get("served"):
                schemas[(f"{group}/{version['name']}", kind)] = strict(version["schema"]["openAPIV3Schema"])
    return schemas
