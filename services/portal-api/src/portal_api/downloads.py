"""Evidence pack downloads, for the API and the web UI alike: the archive, or what verifies it offline."""

from __future__ import annotations

import json
from typing import Literal

from fastapi import Response
from gridfs.errors import NoFile

from portal_api.authorization import Subject
from portal_api.errors import ForbiddenError, NotFoundError
from portal_api.runtime import Portal
from portal_api.views import EvidencePackView

PACK_ID_PATTERN = r"^[A-Za-z0-9-]{1,64}$"
PackFile = Literal["archive", "signature", "proof", "tree-head"]


async def evidence_file(portal: Portal, who: Subject, tenant: str, pack_id: str, file: PackFile, path: str) -> Response:
    """One file of a tenant's pack, to those who may download it (admins, auditors).

    The pack is a resource owned by its tenant: the decision names that tenant, so another tenant's
    pack is refused; and the presentation guard decides which of the pack's files the reader may take.
    """
    view = await portal.stored(portal.evidence_packs.get(pack_id))
    access = await portal.authorize(who, tenant, "evidence:download", path, owner=None if view is None else view.tenant)
    if file not in access.fields:
        raise ForbiddenError
    if view is None:
        raise NotFoundError(f"no evidence pack {pack_id} in {tenant}")
    name = f"evidence-{pack_id}.tar"
    if file == "archive":
        try:
            stream = await portal.stored(portal.evidence_archives.open_download_stream(pack_id))
        except NoFile:
            raise NotFoundError(f"the archive of evidence pack {pack_id} is not stored") from None
        body, media, filename = await portal.stored(stream.read()), "application/x-tar", name
    else:
        document = getattr(view, EvidencePackView.DOCUMENTS[file])
        body, media, filename = json.dumps(document, indent=2).encode(), "application/json", f"{name}.{file}.json"
    headers = {"content-disposition": f'attachment; filename="{filename}"', "cache-control": "no-store"}
    return Response(body, media_type=media, headers=headers)
