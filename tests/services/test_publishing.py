"""Publishing a policy document from a request body (SPEC §5, §7), without HTTP: the body as
JSON or YAML, a replay of a published document, and each refusal in the order the route
answers them."""

import json
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from sqlmodel import Session

from app.clients.models import ApiClient
from app.core.errors import BadRequest, Conflict, Forbidden, InvalidInput, UnsupportedMediaType
from app.policies.publishing import publish_document, stated_id
from app.policies.service import stored_document
from tests.conftest import FIXTURES

EXAMPLE = yaml.safe_load((FIXTURES / "example_policy.yaml").read_text(encoding="utf-8"))


def writer(jurisdictions: str = "all") -> ApiClient:
    return ApiClient(
        name="w", key_digest="0" * 64, scopes="policies:write", jurisdictions=jurisdictions
    )


def as_json(document: dict[str, Any]) -> bytes:
    return json.dumps(document, default=str).encode()


def next_version(**change: Any) -> dict[str, Any]:
    """The example as a later version, its cases moved to dates it is in force."""
    document = json.loads(as_json(EXAMPLE))
    document.update(version="2040", effective_from="2040-01-01")
    for case in document["tests"]:
        case["as_of"] = max(case["as_of"], "2040-01-01")
    document.update(change)
    return document


def test_a_new_document_is_published_and_served_as_stored(engine: sa.Engine) -> None:
    with Session(engine) as session:
        published = publish_document(session, writer(), as_json(EXAMPLE), "application/json")
        assert published.created
        assert published.policy_id == "441700@example"
        assert stored_document(session, "441700@example") == published.document


def test_yaml_is_read_like_json(engine: sa.Engine) -> None:
    text = (FIXTURES / "example_policy.yaml").read_bytes()
    with Session(engine) as session:
        published = publish_document(session, writer(), text, "application/yaml")
    assert (published.policy_id, published.created) == ("441700@example", True)


def test_the_same_document_again_is_a_replay(engine: sa.Engine) -> None:
    with Session(engine) as session:
        first = publish_document(session, writer(), as_json(EXAMPLE), "application/json")
        again = publish_document(session, writer(), as_json(first.document), "application/json")
    assert not again.created
    assert again.document == first.document


@pytest.mark.parametrize(
    "change", [{"notes": {"en": "changed"}}, {"indicators": "broken"}], ids=["other", "invalid"]
)
def test_a_stored_id_with_other_content_is_409_valid_or_not(
    engine: sa.Engine, change: dict[str, Any]
) -> None:
    with Session(engine) as session:
        publish_document(session, writer(), as_json(EXAMPLE), "application/json")
        with pytest.raises(Conflict):
            publish_document(session, writer(), as_json({**EXAMPLE, **change}), "application/json")


def test_a_client_outside_the_jurisdiction_is_403_and_nothing_is_stored(
    engine: sa.Engine,
) -> None:
    with Session(engine) as session:
        with pytest.raises(Forbidden) as refused:
            publish_document(session, writer("621000"), as_json(EXAMPLE), "application/json")
        assert "441700" in refused.value.detail
        assert stored_document(session, "441700@example") is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"indicators": {"residence": {}}}, "indicators.residence.points_per_year"),
        ({"tests": []}, "tests"),
        ({"tests": [{"name": "wrong on purpose", "as_of": "2040-02-01",
                     "input": {"permit": {"issued_on": "2039-01-01", "valid_until": "2041-01-01",
                                          "status": "active"}},
                     "output": {"total_points": 99}}]}, "tests"),
    ],
)  # fmt: skip
def test_an_invalid_document_or_a_failing_case_is_422(
    engine: sa.Engine, change: dict[str, Any], field: str
) -> None:
    with Session(engine) as session:
        with pytest.raises(InvalidInput) as refused:
            publish_document(session, writer(), as_json(next_version(**change)), "application/json")
        assert field in [e.field for e in refused.value.errors or []]
        assert stored_document(session, "441700@2040") is None


def test_a_back_dated_version_is_422(engine: sa.Engine) -> None:
    with Session(engine) as session:
        publish_document(session, writer(), as_json(EXAMPLE), "application/json")
        back_dated = next_version(
            version="2010", effective_from="2010-01-01", tests=EXAMPLE["tests"]
        )
        with pytest.raises(InvalidInput) as refused:
            publish_document(session, writer(), as_json(back_dated), "application/json")
    assert "effective_from" in [e.field for e in refused.value.errors or []]


@pytest.mark.parametrize(
    ("body", "media_type", "error"),
    [
        (b"{", "application/json", BadRequest),
        (b"a: [", "application/yaml", BadRequest),
        (b"\xff", "text/yaml", BadRequest),
        (b"{}", "text/plain", UnsupportedMediaType),
        (b"[]", "application/json", InvalidInput),
    ],
)
def test_a_body_that_is_no_document(
    engine: sa.Engine, body: bytes, media_type: str, error: type[Exception]
) -> None:
    with Session(engine) as session, pytest.raises(error):
        publish_document(session, writer(), body, media_type)


@pytest.mark.parametrize(
    ("document", "stated"),
    [
        ({"jurisdiction": {"code": "441700"}, "version": "2030"}, "441700@2030"),
        ({"jurisdiction": {"code": 441700}, "version": "2030"}, None),
        ({"jurisdiction": "441700", "version": "2030"}, None),
        ({"version": "2030"}, None),
        ([], None),
    ],
)
def test_the_id_a_document_states(document: Any, stated: str | None) -> None:
    assert stated_id(document) == stated
