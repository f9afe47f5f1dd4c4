"""The server-rendered web UI (/ui): a tenant switcher and one tab per view, over the same reads as the API.

Signed-in users carry their token in an HttpOnly, SameSite=Lax cookie (or an auth proxy passes the
Authorization header). Every page is decided by the policy and audited like the API; the only forms (API-key
administration) are accepted only from the portal's own pages.
No `from __future__ import annotations`: FastAPI resolves the signatures at definition time.
"""

import re
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, cast, get_args

from babel.numbers import format_currency, get_currency_precision
from fastapi import APIRouter, Cookie, Form, Header, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import AfterValidator
from schemas.tenant import PLATFORM_TENANT, is_tenant_slug

from portal_api import platform_reads, reads
from portal_api.api import download_response
from portal_api.api_keys import KEY_ID_PATTERN, KeyRole
from portal_api.authorization import Access, Subject
from portal_api.downloads import PACK_ID_PATTERN, BoardFile, Download, PackFile
from portal_api.errors import AuthenticationError, ForbiddenError, NotFoundError
from portal_api.members import TENANT_PATTERN, partner_tenant
from portal_api.parts import RequestParts

SESSION_COOKIE = "tp_session"
HERE = Path(__file__).parent


@dataclass(frozen=True)
class Tab:
    """A tab: its path segment, label and the action that reads it."""

    slug: str
    label: str
    action: str


TABS = (
    Tab("overview", "Overview", "overview:read"),
    Tab("slsa", "SLSA map", "slsa:read"),
    Tab("evidence", "Evidence packs", "evidence:read"),
    Tab("finance", "Finance", "finance:read"),
    Tab("audit", "Audit", "audit:read"),
    Tab("members", "Members", "members:read"),
    Tab("api-keys", "API keys", "apikey:read"),
)
BY_SLUG = {t.slug: t for t in TABS}
PLATFORM_TABS = (
    Tab("cohorts", "Cohorts", "cohorts:read"),
    Tab("slsa-adoption", "SLSA adoption", "adoption:read"),
    Tab("evidence-slo", "Evidence SLO", "evidence-slo:read"),
    Tab("board", "Board packs", "board:read"),
    Tab("revenue", "Revenue", "revenue:read"),
)
PLATFORM_BY_SLUG = {t.slug: t for t in PLATFORM_TABS}
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
# While a cohort is in flight its page reloads itself (an HTTP Refresh header: the pages run no script),
# unless the reader turned that off.
COHORT_REFRESH_S = 10


def money(minor: int, currency: str) -> str:
    """Integer minor units as a price, e.g. 199000 EUR -> €1,990.00."""
    digits = get_currency_precision(currency)
    return str(format_currency(Decimal(minor).scaleb(-digits), currency, locale="en_GB"))


def when(value: str | None) -> str:
    """An ISO timestamp as 'YYYY-MM-DD HH:MM UTC'."""
    if not value:
        return "—"
    return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M UTC")


def day(value: str | None) -> str:
    """An ISO timestamp as its date, 'YYYY-MM-DD'."""
    return datetime.fromisoformat(value).strftime("%Y-%m-%d") if value else "—"


def filesize(size: int) -> str:
    """A byte count as a reader says it: 812 B, 48.2 kB, 1.3 MB."""
    if size < 1000:
        return f"{size} B"
    return f"{size / 1000:.1f} kB" if size < 1_000_000 else f"{size / 1_000_000:.1f} MB"


def duration(seconds: float | None) -> str:
    """Seconds as a reader says them: 850 ms, 42 s, 6 min 5 s, 2 h 10 min; none is a dash."""
    if seconds is None:
        return "—"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s" if seconds < 10 else f"{seconds:.0f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def percent(ratio: float | None) -> str:
    """A ratio as a percentage with one decimal (12.5%); none is a dash."""
    return "—" if ratio is None else f"{ratio * 100:.1f}%"


def cohort_bar(row: dict[str, Any]) -> dict[str, Any]:
    """A cohort's bar of the failure-rate chart: red above the line."""
    rate = row.get("failure_rate", 0.0)
    return {"label": row.get("cohort", ""), "value": rate, "shown": percent(rate),
            "tone": "bad" if row.get("over_line") else "ok"}  # fmt: skip


STATUS_LABELS = {
    "paid": "Paid",
    "partial": "Partially paid",
    "outstanding": "Outstanding",
    "overdue": "Overdue",
    "over-paid": "Over-paid",
}


def same_origin(request: Request) -> bool:
    """A form post from this site: its Origin (or, failing that, Referer) names this host.

    With the SameSite=Lax session cookie this refuses cross-site form posts (CSRF).
    """
    source = request.headers.get("origin") or request.headers.get("referer") or ""
    host = request.headers.get("host", "")
    return bool(host) and re.match(rf"^https?://{re.escape(host)}(/|$)", source) is not None


def templates() -> Environment:
    """The page templates, autoescaped."""
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape())
    env.filters["money"] = money
    env.filters["when"] = when
    env.filters["day"] = day
    env.filters["filesize"] = filesize
    env.filters["duration"] = duration
    env.filters["percent"] = percent
    env.filters["cohort_bar"] = cohort_bar
    env.globals["STATUS_LABELS"] = STATUS_LABELS
    return env


def ui_routes(parts: RequestParts, *, dev_sign_in: bool) -> APIRouter:
    """The /ui pages: the same steps and reads as the API (page views are audited, not metered)."""
    router = APIRouter(include_in_schema=False)
    env = templates()
    stylesheet = (HERE / "static/portal.css").read_text()

    def render(name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        page = env.get_template(name).render(dev_sign_in=dev_sign_in, **context)
        return HTMLResponse(page, status_code=status_code, headers={"cache-control": "no-store"})

    async def signed_in(cookie: str | None, authorization: str | None) -> Subject | None:
        token = cookie or (
            authorization[7:].strip() if authorization and authorization.lower().startswith("bearer ") else None
        )
        if not token:
            return None
        try:
            return await parts.identities.subject(token)
        except AuthenticationError:
            return None

    async def switcher(who: Subject) -> list[str]:
        """The tenants to switch to: the user's own; platform staff also see every onboarded tenant."""
        own = who.tenants()
        if not who.platform_roles:
            return own
        everyone = await parts.reads.tenants.find({})
        return sorted(set(own) | {t.slug for t in everyone})

    @router.get("/ui/static/portal.css")
    async def css() -> Response:
        return Response(stylesheet, media_type="text/css", headers={"cache-control": "public, max-age=300"})

    @router.get("/")
    async def root() -> RedirectResponse:
        return RedirectResponse("/ui", status_code=303)

    @router.get("/ui")
    async def home(
        tp_session: Annotated[str | None, Cookie()] = None, authorization: Annotated[str | None, Header()] = None
    ) -> Response:
        who = await signed_in(tp_session, authorization)
        if who is None:
            return render("signed_out.html", status_code=401)
        tenants = await switcher(who)
        if not tenants:
            return render("no_tenants.html", who=who)
        return RedirectResponse(f"/ui/tenants/{tenants[0]}/overview", status_code=303)

    @router.get("/ui/switch")
    async def switch(
        tenant: Annotated[str, Query(pattern=TENANT_PATTERN, max_length=40), AfterValidator(partner_tenant)],
        tab: str = "overview",
        tp_session: Annotated[str | None, Cookie()] = None,
        authorization: Annotated[str | None, Header()] = None,
    ) -> RedirectResponse:
        """Open the same tab of another tenant where the user may read it there, else its overview."""
        who = await signed_in(tp_session, authorization)
        keep = who is not None and tab in BY_SLUG and parts.gate.may(who, tenant, BY_SLUG[tab].action)
        return RedirectResponse(f"/ui/tenants/{tenant}/{tab if keep else 'overview'}", status_code=303)

    @router.post("/ui/sign-out")
    async def sign_out(request: Request) -> Response:
        if not same_origin(request):  # a cross-site form must not sign anyone out either
            return render("forbidden_plain.html", 403)
        response = RedirectResponse("/ui", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    async def handed_out(who: Subject, found: Awaitable[Download]) -> Response:
        """A download as an attachment, or the page saying why not (refused, or not there)."""
        try:
            return download_response(await found)
        except ForbiddenError:
            return render("forbidden_plain.html", status_code=403)
        except NotFoundError:
            return render("not_found.html", status_code=404, who=who)

    def platform_tabs(who: Subject) -> list[Tab]:
        return [t for t in PLATFORM_TABS if who.platform_roles and parts.gate.may(who, PLATFORM_TENANT, t.action)]

    async def layout(who: Subject, tenant: str, current: Tab) -> dict[str, Any]:
        return {
            "who": who,
            "tenant": tenant,
            "tenants": await switcher(who),
            "tabs": [t for t in TABS if parts.gate.may(who, tenant, t.action)],
            "platform_tabs": platform_tabs(who),
            "current": current,
        }

    @router.get("/ui/platform/{page}")
    async def platform_page(
        page: str,
        period: str | None = None,
        cohort: Annotated[str | None, Query(max_length=200)] = None,
        follow: str | None = None,
        tp_session: Annotated[str | None, Cookie()] = None,
        authorization: Annotated[str | None, Header()] = None,
    ) -> Response:
        """The platform's own views (executives, platform admins); tenant users are refused like strangers."""
        who = await signed_in(tp_session, authorization)
        if who is None:
            return render("signed_out.html", status_code=401)
        if page not in PLATFORM_BY_SLUG or (period is not None and not MONTH.match(period)):
            return render("not_found.html", status_code=404, who=who)
        current = PLATFORM_BY_SLUG[page]
        tenants = await switcher(who)
        frame: dict[str, Any] = {"who": who, "tenant": None, "tenants": tenants, "platform_tabs": platform_tabs(who),
                 "current": current}  # fmt: skip
        resource = f"/ui/platform/{page}"
        try:
            access = await parts.gate.admit(who, PLATFORM_TENANT, current.action, resource)
            data = await platform_read(page, access, period=period, cohort=cohort)
            if page == "board":
                data["can_download"] = parts.gate.may(who, PLATFORM_TENANT, "board:download")
        except ForbiddenError:
            return render("forbidden.html", status_code=403, **frame)
        following = page == "cohorts" and follow != "off" and bool((data.get("cohort") or {}).get("in_flight"))
        response = render(f"platform_{page.replace('-', '_')}.html", data=data, following=following,
                          refresh_s=COHORT_REFRESH_S, **frame)  # fmt: skip
        if following:
            response.headers["refresh"] = str(COHORT_REFRESH_S)
        return response

    async def platform_read(page: str, access: Access, *, period: str | None, cohort: str | None) -> dict[str, Any]:
        """The data of one platform page."""
        models = parts.reads
        if page == "cohorts":
            return await platform_reads.cohorts(models.tenants, cohort, access)
        if page == "slsa-adoption":
            return await platform_reads.adoption(models.slsa_repos, models.slsa_target_l3, access)
        if page == "evidence-slo":
            return await platform_reads.evidence_slo(models.evidence_packs, access)
        if page == "board":
            return await reads.board_packs(models.board_packs, access)
        return await reads.platform_revenue(models.revenue, period, access)

    @router.get("/ui/platform/board-packs/{pack_id}/files/{file}")
    async def board_download(
        pack_id: str,
        file: str,
        tp_session: Annotated[str | None, Cookie()] = None,
        authorization: Annotated[str | None, Header()] = None,
    ) -> Response:
        """A board pack's file for the signed-in user (the API's download, with the session cookie)."""
        who = await signed_in(tp_session, authorization)
        if who is None:
            return render("signed_out.html", status_code=401)
        if not re.fullmatch(PACK_ID_PATTERN, pack_id) or file not in get_args(BoardFile):
            return render("not_found.html", status_code=404, who=who)
        path = f"/ui/platform/board-packs/{pack_id}/files/{file}"
        return await handed_out(who, parts.downloads.board_file(who, pack_id, cast(BoardFile, file), path))

    @router.get("/ui/tenants/{tenant}/{tab}")
    async def tab_page(
        tenant: str,
        tab: str,
        before: Annotated[datetime | None, Query()] = None,
        tp_session: Annotated[str | None, Cookie()] = None,
        authorization: Annotated[str | None, Header()] = None,
    ) -> Response:
        who = await signed_in(tp_session, authorization)
        if who is None:
            return render("signed_out.html", status_code=401)
        if tab not in BY_SLUG or not is_tenant_slug(tenant):
            return render("not_found.html", status_code=404, who=who)
        page = await layout(who, tenant, BY_SLUG[tab])
        try:
            data = await read_tab(parts, who, tenant, BY_SLUG[tab], before)
        except ForbiddenError:
            return render("forbidden.html", status_code=403, **page)
        return render(f"tab_{tab.replace('-', '_')}.html", data=data, **page)

    @router.get("/ui/tenants/{tenant}/evidence-packs/{pack_id}/files/{file}")
    async def evidence_download(
        tenant: str,
        pack_id: str,
        file: str,
        tp_session: Annotated[str | None, Cookie()] = None,
        authorization: Annotated[str | None, Header()] = None,
    ) -> Response:
        """A pack's file for the signed-in user (the API's download, with the session cookie)."""
        who = await signed_in(tp_session, authorization)
        if who is None:
            return render("signed_out.html", status_code=401)
        valid = is_tenant_slug(tenant) and re.fullmatch(PACK_ID_PATTERN, pack_id)
        if not valid or file not in get_args(PackFile):
            return render("not_found.html", status_code=404, who=who)
        path = f"/ui/tenants/{tenant}/evidence-packs/{pack_id}/files/{file}"
        return await handed_out(who, parts.downloads.evidence_file(who, tenant, pack_id, cast(PackFile, file), path))

    @router.post("/ui/tenants/{tenant}/api-keys")
    async def create_key(
        request: Request,
        tenant: str,
        name: Annotated[str, Form(min_length=1, max_length=80)],
        role: Annotated[KeyRole, Form()],
        tp_session: Annotated[str | None, Cookie()] = None,
    ) -> Response:
        """Create a key and show its secret on this one page."""
        who = await signed_in(tp_session, None)
        if who is None or not same_origin(request) or not is_tenant_slug(tenant):
            return render("signed_out.html", status_code=401) if who is None else render("forbidden_plain.html", 403)
        page = await layout(who, tenant, BY_SLUG["api-keys"])
        resource = f"/ui/tenants/{tenant}/api-keys"
        try:
            created = await parts.keys.create(who, tenant, name, role, resource)
            data = await parts.keys.listed(who, tenant, resource)
        except ForbiddenError:
            return render("forbidden.html", status_code=403, **page)
        return render("tab_api_keys.html", data=data, created=created, **page)

    @router.post("/ui/tenants/{tenant}/api-keys/{key_id}/revoke")
    async def revoke_key(
        request: Request, tenant: str, key_id: str, tp_session: Annotated[str | None, Cookie()] = None
    ) -> Response:
        who = await signed_in(tp_session, None)
        if who is not None and not re.fullmatch(KEY_ID_PATTERN, key_id):
            return render("not_found.html", status_code=404, who=who)
        if who is None or not same_origin(request) or not is_tenant_slug(tenant):
            return render("signed_out.html", status_code=401) if who is None else render("forbidden_plain.html", 403)
        try:
            await parts.keys.revoke(who, tenant, key_id, f"/ui/tenants/{tenant}/api-keys/{key_id}")
        except ForbiddenError:
            return render("forbidden.html", status_code=403, **await layout(who, tenant, BY_SLUG["api-keys"]))
        except NotFoundError:
            return render("not_found.html", status_code=404, who=who)
        return RedirectResponse(f"/ui/tenants/{tenant}/api-keys", status_code=303)

    return router


async def read_tab(parts: RequestParts, who: Subject, tenant: str, tab: Tab, before: datetime | None) -> dict[str, Any]:
    """Admit (audited, not metered: page views are not API calls) and read one tab's data."""
    resource = f"/ui/tenants/{tenant}/{tab.slug}"
    if tab.slug == "api-keys":
        return await parts.keys.listed(who, tenant, resource)
    access = await parts.gate.admit(who, tenant, tab.action, resource)
    views = parts.reads
    if tab.slug == "overview":
        return await reads.overview(views.tenants, tenant, access)
    if tab.slug == "finance":
        return await reads.finance(views.usage, views.ledger, tenant, access)
    if tab.slug == "members":
        return await reads.members(views.users, tenant, access)
    if tab.slug == "slsa":
        return await reads.slsa_map(views.slsa_repos, views.trust_policies, tenant, access)
    if tab.slug == "evidence":
        packs = await reads.evidence_packs(views.evidence_packs, tenant, access)
        return {**packs, "can_download": parts.gate.may(who, tenant, "evidence:download")}
    return await reads.audit_page(views.audit, tenant, access, 50, before)
