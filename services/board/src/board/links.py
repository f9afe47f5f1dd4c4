"""Checking the board pack's portal links by asking the portal (never another host)."""

from __future__ import annotations

import httpx


class PortalLinks:
    """GETs a portal page without following redirects: a sign-in redirect or 401 means the page exists."""

    def __init__(self, client: httpx.AsyncClient, base_url: str) -> None:
        self.client = client
        self.base = base_url.rstrip("/") + "/"

    async def problem(self, url: str) -> str | None:
        """None when the portal answers with anything but 404 or a server error."""
        if not url.startswith(self.base):
            return f"{url} is not a page of {self.base}"
        try:
            response = await self.client.get(url, follow_redirects=False)
        except httpx.HTTPError as exc:
            return f"{url}: {type(exc).__name__}: {str(exc)[:120]}"
        if response.status_code == 404 or response.status_code >= 500:
            return f"{url} answers {response.status_code}"
        return None
