"""Downloads, for the API and the web UI alike: an evidence pack or a board pack, or what verifies it offline."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from schemas.tenant import PLATFORM_TENANT

from portal_api.authorization import Subject
from portal_api.errors import ForbiddenError, NotFoundError
from portal_api.gate import AccessGate
from portal_api.ports import Archives, Views
from portal_api.views import BoardPackView, EvidencePackView

PACK_ID_PATTERN = r"^[A-Za-z0-9-]{1,64}$"
PackFile = Literal["archive", "signature", "proof", "tree-head"]
BoardFile = Literal["pdf", "proof", "tree-head", "completeness"]


@dataclass(frozen=True)
class Download:
    """A file to hand out: its bytes, media type and the name it is saved under."""

    body: bytes
    media_type: str
    filename: str


class Downloads:
    """One file of a tenant's evidence pack (admins, auditors), or of a board pack (executives, platform admins)."""

    def __init__(
        self,
        gate: AccessGate,
        packs: Views[EvidencePackView],
        archives: Archives,
        board_packs: Views[BoardPackView],
        board_pdfs: Archives,
    ) -> None:
        self.gate = gate
        self.packs = packs
        self.archives = archives
        self.board_packs = board_packs
        self.board_pdfs = board_pdfs

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

    async def board_file(self, who: Subject, request_id: str, file: BoardFile, path: str) -> Download:
        """A built board pack's PDF, inclusion proof, tree head or completeness report, after the gate admits it."""
        access = await self.gate.admit(who, PLATFORM_TENANT, "board:download", path)
        if file not in access.fields:
            raise ForbiddenError
        view = await self.board_packs.get(request_id)
        if view is None or view.state != "built":
            raise NotFoundError(f"no built board pack {request_id}")
        if file == "pdf":
            pdf = await self.board_pdfs.read(view.sha256)
            if pdf is None:
                raise NotFoundError(f"the PDF of board pack {request_id} is not stored")
            return Download(pdf, "application/pdf", view.file_name)
        document = {"proof": view.inclusion_proof, "tree-head": view.tree_head}.get(file) or view.completeness()
        # board-<period>.pdf.proof.json: the names `board build` writes, which `board verify` finds beside the PDF
        return Download(json.dumps(document, indent=2).encode(), "application/json", f"{view.file_name}.{file}.json")
