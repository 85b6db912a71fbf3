"""The documentation stands alone and tells the truth: a clone of the repository has nothing
beside it, so README, docs and the OpenAPI description link only inside it, and every ID
number they show is a valid GB 11643 number (checked by the standard's weights, tests/ids.py).
"""

import json
import re
from pathlib import Path

import pytest

from tests.ids import check_character

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = sorted(
    [ROOT / "README.md", ROOT / "CHANGELOG.md", ROOT / "bench" / "README.md",
     *(ROOT / "docs").rglob("*.md")]
)  # fmt: skip
# Addresses that are no link outside the repository: the service itself, and RFC 2606 names.
LOCAL = re.compile(r"https?://(127\.0\.0\.1|localhost|[A-Za-z0-9.-]+\.example)([:/]|$)")


def _openapi_texts() -> list[str]:
    texts: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
        elif isinstance(node, str):
            texts.append(node)

    walk(json.loads((ROOT / "openapi" / "openapi.json").read_text(encoding="utf-8")))
    return texts


def test_there_are_documents_to_check() -> None:
    names = {path.relative_to(ROOT).as_posix() for path in DOCUMENTS}
    assert {"README.md", "CHANGELOG.md", "docs/rules.md", "docs/policy-format.md"} <= names


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_links_stay_inside_the_repository(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if LOCAL.match(target):
            continue
        assert "://" not in target, f"{target}: a link outside the repository"
        file = (path.parent / target.split("#")[0]).resolve()
        assert file.is_relative_to(ROOT), f"{target}: outside the repository"
        assert file.exists(), f"{target}: no such file in the repository"
    for address in re.findall(r"https?://[^\s)>\]`'\"]+", text):
        assert LOCAL.match(address), f"{address}: a link outside the repository"
    assert "SPEC.md" not in text and "shared/" not in text


def test_the_openapi_description_links_nothing_outside() -> None:
    for text in _openapi_texts():
        assert "SPEC" not in text and "shared/" not in text, text
        for address in re.findall(r"https?://\S+", text):
            assert LOCAL.match(address), address


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_id_number_shown_is_valid(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for number in re.findall(r"(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z])", text):
        assert number[17].upper() == check_character(number[:17]), number


def test_the_example_policy_passes_its_own_check() -> None:
    """docs/policy-format.md's complete example is valid and its cases pass, as shipped."""
    from app.engine import run_policy_case
    from app.policies.document import load_policy_yaml

    path = ROOT / "docs" / "examples" / "example-city.yaml"
    policy = load_policy_yaml(path.read_text(encoding="utf-8"), path.name)
    assert any(
        tier.requires.current_area_kind_in
        or any(a.current_area_kind_in for a in tier.requires.any_of or [])
        for tiers in policy.domains.values()
        for tier in tiers
    )
    assert [problem for case in policy.tests for problem in run_policy_case(policy, case)] == []
