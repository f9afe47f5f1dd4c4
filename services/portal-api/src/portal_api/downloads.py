"""Evidence pack downloads, for the API and the web UI alike: the archive, or what verifies it offline."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from portal_api.authorization import Subject
from portal_api.errors import ForbiddenError, NotFoundError
from portal_api.gate import AccessGate
from portal_api.ports import Archives, Views
from portal_api.views import EvidencePackView

PACK_ID_PATTERN = r"^[A-Za-z0-9-]{1,64}$"
PackFile = Literal["archive", "signature", "proof", "tree-head"]


@dataclass(frozen=True)
class Download:
    """A file to hand out: its bytes, media type and the name it is saved under."""

    body: bytes
    media_type: str
    filename: str


class Downloads:
    """One file of a tenant's pack, to those who may download it (admins, auditors)."""

    def __init__(self, gate: AccessGate, packs: Views[EvidencePackView], archives: Archives) -> None:
        self.gate = gate
        self.packs = packs
        self.archives = archives

    async def evidence_file(self, who: Subject, tenant: str, pack_id: str, file: PackFile, path: str) -> Download:
        """The file, after the gate admits the reader.

        The pack is a resource owned by its tenant: the decision names that tenant, so another tenant's
        pack is refused; and the presentation guard decides which of the pack's files the reader may take.
        """
        view = await self.packs.get(pack_id)
        access = await self.gate.admit(
            who, tenant, "evidence:download", path, owner=None if view is None else view.tenant
        )
        if file not in access.fields:
            raise ForbiddenError
        if view is None:
            raise NotFoundError(f"no evidence pack {pack_id} in {tenant}")
        name = f"evidence-{pack_id}.tar"
        if file == "archive":
            archive = await self.archives.read(pack_id)
            if archive is None:
                raise NotFoundError(f"the archive of evidence pack {pack_id} is not stored")
            return Download(archive, "application/x-tar", name)
        document = getattr(view, EvidencePackView.DOCUMENTS[file])
        return Download(json.dumps(document, indent=2).encode(), "application/json", f"{name}.{file}.json")
