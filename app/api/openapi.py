"""The OpenAPI document: request bodies that the routes parse themselves (see `deps.json_body`)
are documented here, with their schemas named in `components`."""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from app.api.deps import JSON_TYPES
from app.core.errors import Problem

REF = "#/components/schemas/{model}"
_documented: dict[str, type[BaseModel]] = {"Problem": Problem}


def request_body(
    model: type[BaseModel], media_types: tuple[str, ...] = JSON_TYPES
) -> dict[str, Any]:
    """`openapi_extra` for a route whose body is `model`."""
    _documented[model.__name__] = model
    schema = {"$ref": REF.format(model=model.__name__)}
    return {
        "requestBody": {
            "required": True,
            "content": {media_type: {"schema": schema} for media_type in media_types},
        }
    }


def build_openapi(app: FastAPI, version: str) -> dict[str, Any]:
    document = get_openapi(
        title="jifen",
        version=version,
        summary="Residence-permit points and entitlements of Chinese cities",
        description=(
            "The register of residence-permit holders, their points and the public services"
            " they reach under each city's dated policy. How scores are computed:"
            " docs/rules.md; the policy document: docs/policy-format.md (both in the"
            " repository). Errors are RFC 9457 problem+json."
        ),
        routes=app.routes,
    )
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name, model in sorted(_documented.items()):
        schema = model.model_json_schema(ref_template=REF, mode="validation")
        for def_name, definition in schema.pop("$defs", {}).items():
            schemas.setdefault(def_name, definition)
        schemas[name] = schema
    document["components"]["securitySchemes"] = {
        "bearer": {"type": "http", "scheme": "bearer", "description": "API key"}
    }
    problem = {"application/problem+json": {"schema": {"$ref": REF.format(model="Problem")}}}
    for path, operations in document["paths"].items():
        for operation in operations.values():
            responses = operation["responses"]
            if "422" in responses:  # FastAPI's own validation answer is a problem here too
                responses["422"] = {"description": "Unprocessable Content", "content": problem}
            if path.startswith("/v1/"):
                operation["security"] = [{"bearer": []}]
                responses.setdefault(
                    "503", {"description": "Database unavailable", "content": problem}
                )
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return document
