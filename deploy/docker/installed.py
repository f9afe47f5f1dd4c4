"""The distributions installed in this interpreter's environment, with the wheel tags each came from.

Run by the image's build stage with /opt/app/bin/python; its output (JSON) lets the release provenance
name, for each distribution, the very file uv.lock pins (deploy/release/provenance.py).
"""

import json
import sys
from importlib.metadata import distributions


def tags(text: str | None) -> list[str]:
    """The `Tag:` lines of a WHEEL metadata file."""
    return sorted(line.split(":", 1)[1].strip() for line in (text or "").splitlines() if line.startswith("Tag:"))


rows = {(d.metadata["Name"], d.version): tags(d.read_text("WHEEL")) for d in distributions()}
json.dump([{"name": n, "version": v, "tags": t} for (n, v), t in sorted(rows.items())], sys.stdout, indent=1)
