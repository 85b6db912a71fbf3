"""Creating and authenticating API clients."""

from sqlmodel import Session, select

from app.clients.models import ALL_JURISDICTIONS, ApiClient
from app.core.errors import Conflict, invalid
from app.core.i18n import tr
from app.core.security import Scope, digests_match, key_digest, new_api_key


def create_client(
    session: Session, name: str, scopes: list[str], jurisdictions: list[str]
) -> tuple[ApiClient, str]:
    """Store a new client and return it with its key, which exists nowhere else afterwards."""
    known = {s.value for s in Scope}
    unknown = [s for s in scopes if s not in known]
    if unknown or not scopes:
        raise invalid(
            "scope",
            tr(
                f"Unknown or missing scope; choose from {sorted(known)}.",
                f"权限未知或缺失，可选：{sorted(known)}。",
            ),
        )
    if not jurisdictions:
        raise invalid(
            "jurisdiction",
            tr("Name the client's jurisdictions, or 'all'.", "请指定客户端的辖区，或 all。"),
        )
    if ALL_JURISDICTIONS in jurisdictions:
        stored_jurisdictions = ALL_JURISDICTIONS
    else:
        bad = [j for j in jurisdictions if not (len(j) == 6 and j.isdigit())]
        if bad:
            raise invalid(
                "jurisdiction",
                tr(
                    "A jurisdiction is a 6-digit division code or 'all'.",
                    "辖区为 6 位行政区划代码或 all。",
                ),
            )
        stored_jurisdictions = " ".join(sorted(set(jurisdictions)))
    if session.exec(select(ApiClient).where(ApiClient.name == name)).first():
        raise Conflict(f"A client named {name!r} exists already.")
    key = new_api_key()
    client = ApiClient(
        name=name,
        key_digest=key_digest(key),
        scopes=" ".join(sorted(set(scopes))),
        jurisdictions=stored_jurisdictions,
    )
    session.add(client)
    session.commit()
    return client, key


def authenticate(session: Session, key: str) -> ApiClient | None:
    digest = key_digest(key)
    client = session.exec(select(ApiClient).where(ApiClient.key_digest == digest)).first()
    if client is None or not digests_match(client.key_digest, digest):
        return None
    return client
