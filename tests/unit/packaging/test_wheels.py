"""The services run from their wheels: every file a service reads at start-up is package data."""

from __future__ import annotations

import json
import shutil
import subprocess
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def uv() -> str:
    found = shutil.which("uv") or str(Path.home() / ".local/bin/uv")
    if not Path(found).exists():
        pytest.fail("uv is missing: `make install` installs it")
    return found


def test_the_portal_wheel_carries_its_policies_and_decides_from_a_fresh_venv(tmp_path):
    subprocess.run([uv(), "build", "--wheel", "--out-dir", str(tmp_path / "dist"), str(ROOT / "services/portal-api")],
                   check=True, capture_output=True)  # fmt: skip
    [wheel] = (tmp_path / "dist").glob("portal_api-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert {"portal_api/policies/authz.rego", "portal_api/policies/data.json"} <= set(names)
    assert not [n for n in names if n.endswith("_test.rego")]

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin/python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()  # fmt: skip
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)  # a wheel is a zip laid out for site-packages: installing it, offline
    # Its dependencies come from the workspace's environment, added as a plain path: .pth files (the
    # workspace's editable portal_api among them) are not read from PYTHONPATH, so only the wheel's copy is seen.
    deps = [sysconfig.get_paths()["purelib"], str(ROOT / "schemas/src"), str(ROOT / "libs/service-kit/src")]
    probe = (
        "import json, portal_api.policy as p;"
        "e = p.PolicyEngine(p.PolicyBundle.load());"
        "s = {'id': 'ana', 'tenant_roles': {'acme': ['auditor']}, 'platform_roles': []};"
        "v = e.decision({'subject': s, 'tenant': 'acme', 'action': 'overview:read', 'resource': {'tenant': 'acme'}});"
        "print(json.dumps({'file': p.__file__, 'allowed': v.allowed, 'shown': sorted(v.shown)}))"
    )
    out = subprocess.run([str(python), "-c", probe], env={"PYTHONPATH": ":".join(deps)}, cwd=tmp_path,
                         check=True, capture_output=True, text=True).stdout  # fmt: skip
    answer = json.loads(out)
    assert answer["file"].startswith(site), answer["file"]
    assert answer["allowed"] and answer["shown"] == ["cohort", "display_name", "state"]
