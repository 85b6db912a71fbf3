"""The committed OpenAPI document is the one the service serves, and it is complete."""

import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

COMMITTED = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"


def test_committed_document_matches_the_live_one(http: TestClient) -> None:
    live = http.get("/openapi.json").json()
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert committed == live, "openapi/openapi.json is stale: run `jifen openapi`"


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    ]


def test_operations_are_named_and_documented(http: TestClient) -> None:
    document = http.get("/openapi.json").json()
    operations = _operations(document)
    ids = [op["operationId"] for _, _, op in operations]
    assert len(ids) == len(set(ids))
    for path, method, operation in operations:
        assert operation["operationId"][0].islower() and "_" not in operation["operationId"]
        if path.startswith("/v1/"):
            codes = set(operation["responses"])
            assert {"401", "403"} <= codes, (method, path)
            assert operation["security"] == [{"bearer": []}]
            for code, response in operation["responses"].items():
                if code.startswith(("4", "5")):
                    assert "application/problem+json" in response["content"], (method, path, code)
        if method in ("post", "patch") and path.startswith("/v1/"):
            assert "requestBody" in operation, (method, path)
    refs = json.dumps(document).count('"#/components/schemas/')
    assert refs > 0
    schemas = document["components"]["schemas"]
    for ref in _all_refs(document):
        assert ref.removeprefix("#/components/schemas/") in schemas, ref


def _all_refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for value in node.values() for r in _all_refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in _all_refs(value)]
    return []
