"""Every human-readable text is ours, in English and in Chinese: validation errors name what is
expected (never the validation library's sentence, a pattern or the value sent), and operation
summaries read as English sentences."""

import json
import re
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from app.core.i18n import PATTERN_MESSAGES, VALIDATION_MESSAGES, validation_message
from tests.conftest import FIXTURES, holder_body

DATE = "Expected a date, YYYY-MM-DD."
MONTH = "Expected a month, YYYY-MM."
DIVISION = "Expected a division code, 6 digits."
TOWNSHIP = "Expected a township code, 9 digits."
REQUIRED = "This field is required."
UNKNOWN = "Unknown field."
OBJECT = "Expected a JSON object."
STRING = "Expected a string."
UUID = "Expected a UUID."
INTEGER = "Expected an integer."
BOOLEAN = "Expected true or false."
NOT_BLANK = "Expected text, not blank."
CONTROL = "Control characters are not allowed."
CODE = "Expected a code of 1 to 64 letters, digits, '_', '.' or '-', not starting with '.' or '-'."

# What the validation library writes, and what a regular expression is made of.
LIBRARY_WORDS = ("Input should", "String should", "List should", "Value error", "pattern",
                 "Field required", "valid date or datetime", "at most 18 characters,")  # fmt: skip
REGEX_CHARACTERS = set("^$[]{}\\|*+?")
CJK = re.compile(r"[\u4e00-\u9fff]")

PERMIT = {
    "number": "P-1",
    "issued_on": "2020-01-01",
    "valid_until": "2026-12-31",
    "status": "active",
}
RESIDENCE = {"district": "441702", "start_date": "2020-01-01"}
INSURANCE = {"district": "441702", "type": "pension", "start_month": "2020-01"}
SIMULATION = {
    "jurisdiction": "441700",
    "permit": {k: v for k, v in PERMIT.items() if k != "number"},
}


def _policy(**change: Any) -> dict[str, Any]:
    """The example policy as JSON, as a new version (so that it is validated, not compared)."""
    document = yaml.safe_load((FIXTURES / "example_policy.yaml").read_text(encoding="utf-8"))
    document = json.loads(json.dumps(document, default=str))
    document.update(version="2031", effective_from="2031-01-01")
    for dotted, value in change.items():
        *parents, last = dotted.split(".")
        node = document
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if value is ...:
            del node[last]
        else:
            node[last] = value
    return document


def _education(**requires: Any) -> dict[str, Any]:
    return {"domains.education.0.requires": requires}


def case(
    name: str,
    method: str,
    path: str,
    field: str,
    english: str,
    *,
    body: Any = None,
    params: dict[str, Any] | None = None,
    lines: list[Any] | None = None,
    sent: str | None = None,
) -> Any:
    """A bad value sent through a real route; `english` the message expected for `field`,
    `sent` a value that must not come back."""
    return pytest.param(method, path, field, english, body, params, lines, sent, id=name)


CASES = [
    # holders
    case("holder missing name", "post", "/v1/holders", "name", REQUIRED,
         body={k: v for k, v in holder_body().items() if k != "name"}),
    case("holder unknown key", "post", "/v1/holders", "nickname", UNKNOWN,
         body={**holder_body(), "nickname": "小张"}, sent="小张"),
    case("holder id number too long", "post", "/v1/holders", "id_number",
         "Expected at most 18 characters.", body=holder_body(id_number="4417021990010100123"),
         sent="4417021990010100123"),
    case("holder blank name", "post", "/v1/holders", "name", NOT_BLANK, body={**holder_body(), "name": "  "}),
    case("holder control character", "post", "/v1/holders", "name", CONTROL,
         body={**holder_body(), "name": "张\u0007三"}),
    case("holder jurisdiction pattern", "post", "/v1/holders", "jurisdiction", DIVISION,
         body=holder_body(jurisdiction="4417"), sent="4417"),
    case("holder jurisdiction number", "post", "/v1/holders", "jurisdiction", STRING,
         body={**holder_body(), "jurisdiction": 441700}),
    case("holder permit not an object", "post", "/v1/holders", "permit", OBJECT,
         body={**holder_body(), "permit": ["P-1"]}),
    case("holder permit status", "post", "/v1/holders", "permit.status",
         "Expected one of: active, suspended, revoked.", body=holder_body(status="lost"), sent="lost"),
    case("holder permit date", "post", "/v1/holders", "permit.issued_on", DATE,
         body=holder_body(issued_on="2020-13-01"), sent="2020-13-01"),
    case("holder permit date type", "post", "/v1/holders", "permit.valid_until", DATE,
         body=holder_body(valid_until=20261231)),
    case("holder lookup missing", "post", "/v1/holders/lookup", "id_number", REQUIRED,
         body={"jurisdiction": "441700"}),
    case("holder patch name type", "patch", "/v1/holders/{holder}", "name", STRING, body={"name": 5}),
    case("holder patch permit key", "patch", "/v1/holders/{holder}", "permit.colour", UNKNOWN,
         body={"permit": {"colour": "red"}}),
    case("holders jurisdiction query", "get", "/v1/holders", "jurisdiction", DIVISION,
         params={"jurisdiction": "4417"}),
    case("holders district query", "get", "/v1/holders", "district", DIVISION,
         params={"district": "4417"}),
    case("holders permit status query", "get", "/v1/holders", "permit_status",
         "Expected one of: active, suspended, revoked.", params={"permit_status": "lost"}),
    case("holders limit zero", "get", "/v1/holders", "limit", "Expected 1 or more.", params={"limit": 0}),
    case("holders cursor too long", "get", "/v1/holders", "cursor",
         "Expected at most 200 characters.", params={"cursor": "c" * 201}),
    # residence periods
    case("residence district", "post", "/v1/holders/{holder}/residence-periods", "district", DIVISION,
         body={**RESIDENCE, "district": "4417"}),
    case("residence township", "post", "/v1/holders/{holder}/residence-periods", "township", TOWNSHIP,
         body={**RESIDENCE, "township": "44170200"}, sent="44170200"),
    case("residence start date", "post", "/v1/holders/{holder}/residence-periods", "start_date", DATE,
         body={**RESIDENCE, "start_date": "2020-13-01"}),
    case("residence housing", "post", "/v1/holders/{holder}/residence-periods", "housing",
         "Expected one of: owned, rented, employer, collective, other.",
         body={**RESIDENCE, "housing": "palace"}, sent="palace"),
    case("residence source too long", "post", "/v1/holders/{holder}/residence-periods", "source",
         "Expected at most 64 characters.", body={**RESIDENCE, "source": "s" * 65}),
    case("residence body not an object", "post", "/v1/holders/{holder}/residence-periods", "body",
         OBJECT, body=["441702"]),
    case("residence limit", "get", "/v1/holders/{holder}/residence-periods", "limit",
         "Expected 500 or less.", params={"limit": 501}),
    # insurance periods
    case("insurance month", "post", "/v1/holders/{holder}/insurance-periods", "start_month", MONTH,
         body={**INSURANCE, "start_month": "2020-13"}, sent="2020-13"),
    case("insurance month as a date", "post", "/v1/holders/{holder}/insurance-periods", "end_month",
         MONTH, body={**INSURANCE, "end_month": "2020-05-01"}),
    case("insurance type", "post", "/v1/holders/{holder}/insurance-periods", "type",
         "Expected one of: pension, medical, unemployment, work_injury, maternity.",
         body={**INSURANCE, "type": "dental"}, sent="dental"),
    case("insurance limit", "get", "/v1/holders/{holder}/insurance-periods", "limit", INTEGER,
         params={"limit": "many"}),
    # adjustments and endorsements
    case("adjustment code", "post", "/v1/holders/{holder}/adjustments", "code", CODE,
         body={"code": "-degree", "effective_from": "2020-01-01"}, sent="-degree"),
    case("adjustment date type", "post", "/v1/holders/{holder}/adjustments", "effective_from", DATE,
         body={"code": "college_degree", "effective_from": 2020}),
    case("endorsement date", "post", "/v1/holders/{holder}/endorsements", "endorsed_on", DATE,
         body={"endorsed_on": "yesterday"}, sent="yesterday"),
    case("endorsement note", "post", "/v1/holders/{holder}/endorsements", "note", CONTROL,
         body={"note": "a\u0007b"}),  # NUL itself is the unstorable-text guard's (test_hostile_text)
    # scores, simulations, assessments, rankings
    case("score as_of", "get", "/v1/holders/{holder}/score", "as_of", DATE,
         params={"as_of": "2020-13-01"}),
    case("score as_of text", "get", "/v1/holders/{holder}/score", "as_of", DATE,
         params={"as_of": "tomorrow"}, sent="tomorrow"),
    case("simulation as_of", "post", "/v1/simulations", "as_of", DATE,
         body={**SIMULATION, "as_of": "2020-02-30"}),
    case("simulation permit missing", "post", "/v1/simulations", "permit", REQUIRED,
         body={"jurisdiction": "441700"}),
    case("simulation jurisdiction", "post", "/v1/simulations", "jurisdiction", DIVISION,
         body={**SIMULATION, "jurisdiction": "44"}),
    case("simulation records not a list", "post", "/v1/simulations", "residence_periods",
         "Expected an array.", body={**SIMULATION, "residence_periods": "441702"}),
    case("simulation too many records", "post", "/v1/simulations", "insurance_periods",
         "Expected at most 500 items.", body={**SIMULATION, "insurance_periods": [INSURANCE] * 501}),
    case("simulation record month", "post", "/v1/simulations", "insurance_periods[0].start_month",
         MONTH, body={**SIMULATION, "insurance_periods": [{**INSURANCE, "start_month": "2020-00"}]}),
    case("simulation record township", "post", "/v1/simulations", "residence_periods[0].township",
         TOWNSHIP, body={**SIMULATION, "residence_periods": [{**RESIDENCE, "township": "4417"}]}),
    case("assessment as_of type", "post", "/v1/holders/{holder}/assessments", "as_of", DATE,
         body={"as_of": True}),
    case("ranking limit zero", "get", "/v1/jurisdictions/441700/ranking", "limit",
         "Expected 1 or more.", params={"limit": 0}),
    case("ranking limit too large", "get", "/v1/jurisdictions/441700/ranking", "limit",
         "Expected 500 or less.", params={"limit": 100000}),
    case("ranking as_of", "get", "/v1/jurisdictions/441700/ranking", "as_of", DATE,
         params={"as_of": "2020-13-01"}),
    # audit
    case("audit since too long", "get", "/v1/audit", "since", "Expected at most 40 characters.",
         params={"since": "2020-01-01T00:00:00+08:00" + "0" * 20}),
    case("audit since", "get", "/v1/audit", "since", "An RFC 3339 time with its offset, or a date.",
         params={"since": "last week"}, sent="last week"),
    case("audit holder id", "get", "/v1/audit", "holder_id", UUID, params={"holder_id": "h-1"}),
    case("audit client too long", "get", "/v1/audit", "client", "Expected at most 100 characters.",
         params={"client": "c" * 101}),
    # policies
    case("policy version", "post", "/v1/policies", "version",
         "Expected a version of 1 to 64 letters, digits, '.', '_' or '-'.", body=_policy(version="v 1")),
    case("policy date", "post", "/v1/policies", "effective_from", DATE,
         body=_policy(effective_from="2031-13-01")),
    case("policy tests missing", "post", "/v1/policies", "tests", REQUIRED, body=_policy(tests=...)),
    case("policy unknown key", "post", "/v1/policies", "colour", UNKNOWN, body=_policy(colour="red")),
    case("policy division code type", "post", "/v1/policies", "jurisdiction.code",
         "Expected a division code as a string of 6 digits (quote it in YAML).",
         body=_policy(**{"jurisdiction.code": 441700})),
    case("policy integer", "post", "/v1/policies", "domains.education[0].requires.min_points",
         INTEGER, body=_policy(**_education(min_points="twenty"))),
    case("policy negative", "post", "/v1/policies", "domains.education[0].requires.min_points",
         "Expected 0 or more.", body=_policy(**_education(min_points=-1))),
    case("policy null", "post", "/v1/policies", "domains.education[0].requires.min_points",
         "Expected a value, not null.", body=_policy(**_education(min_points=None))),
    case("policy boolean", "post", "/v1/policies", "domains.education[0].requires.valid_permit",
         BOOLEAN, body=_policy(**_education(valid_permit="yes"))),
    case("policy housing", "post", "/v1/policies",
         "domains.education[0].requires.current_housing_in[0]",
         "Expected one of: owned, rented, employer, collective, other.",
         body=_policy(**_education(current_housing_in=["palace"]))),
    case("policy month", "post", "/v1/policies", "tests[0].input.insurance_periods[0].start_month",
         MONTH, body=_policy(**{"tests.0.input.insurance_periods": [
             {"district": "441702", "type": "pension", "start_month": "2020-13"}]})),
    case("policy domain name", "post", "/v1/policies", "domains.Education",
         "Expected a name of 1 to 64 lowercase letters, digits or '_', starting with a letter.",
         body=_policy(**{"domains.Education": []})),
    case("policy not an object", "post", "/v1/policies", "body", OBJECT, body=["441700"]),
    # imports: the report's rejected lines
    case("import line month", "post", "/v1/imports", "record.start_month", MONTH,
         lines=[{"kind": "insurance_period", "holder": {"jurisdiction": "441700", "id_number": "x"},
                 "record": {**INSURANCE, "start_month": "2020-13"}}]),
    case("import line missing", "post", "/v1/imports", "holder.permit", REQUIRED,
         lines=[{"kind": "holder", "holder": {k: v for k, v in holder_body().items() if k != "permit"}}]),
]  # fmt: skip


def _messages(
    http: TestClient,
    headers: dict[str, str],
    method: str,
    path: str,
    body: Any,
    params: dict[str, Any] | None,
    lines: list[Any] | None,
) -> tuple[dict[str, str], str]:
    """The field messages of the answer, and its text."""
    if lines is not None:
        content = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines).encode()
        response = http.post(
            path, content=content, headers={**headers, "Content-Type": "application/x-ndjson"}
        )
        assert response.status_code == 201, response.text
        rejected = response.json()["rejected"]
        return {r["field"]: r["message"] for r in rejected}, response.text
    extra = {"If-Match": "*"} if method == "patch" else {}
    response = http.request(method, path, json=body, params=params, headers={**headers, **extra})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return {e["field"]: e["message"] for e in response.json()["errors"]}, response.text


def _assert_ours(message: str) -> None:
    for words in LIBRARY_WORDS:
        assert words not in message, message
    assert not REGEX_CHARACTERS & set(message), message
    assert message.endswith(("。", ".")), message


@pytest.mark.parametrize(
    ("method", "path", "field", "english", "body", "params", "lines", "sent"), CASES
)
def test_validation_messages_are_ours_in_both_languages(
    http: TestClient,
    auth: dict[str, str],
    example_policy: str,
    new_holder: Any,
    method: str,
    path: str,
    field: str,
    english: str,
    body: Any,
    params: dict[str, Any] | None,
    lines: list[Any] | None,
    sent: str | None,
) -> None:
    path = path.format(holder=new_holder()["id"]) if "{holder}" in path else path
    answers = {}
    for language in ("en", "zh-CN"):
        headers = {**auth, "Accept-Language": language}
        messages, text = _messages(http, headers, method, path, body, params, lines)
        assert field in messages, (field, messages)
        for message in messages.values():
            _assert_ours(message)
        if sent is not None:
            assert sent not in text
        answers[language] = messages
    en, zh = answers["en"][field], answers["zh-CN"][field]
    assert en == english
    assert en.isascii() and CJK.search(zh), (en, zh)
    assert en != zh
    assert answers["en"].keys() == answers["zh-CN"].keys()


def test_every_declared_pattern_has_its_own_message(http: TestClient) -> None:
    """A new pattern in a request schema needs its phrase (else it answers 'Wrong format.')."""
    document = http.get("/openapi.json").json()
    patterns = set(re.findall(r'"pattern": "((?:[^"\\]|\\.)*)"', json.dumps(document)))
    patterns = {json.loads(f'"{p}"') for p in patterns} - {r"^sha256:[0-9a-f]{64}$"}  # an answer's
    assert patterns and patterns <= PATTERN_MESSAGES.keys(), patterns - PATTERN_MESSAGES.keys()


ERROR_TYPES = [
    "missing", "extra_forbidden", "string_type", "string_pattern_mismatch", "string_too_short",
    "string_too_long", "date_type", "date_parsing", "date_from_datetime_parsing",
    "date_from_datetime_inexact", "datetime_parsing", "int_type", "int_parsing", "int_from_float",
    "int_parsing_size", "bool_type", "bool_parsing", "enum", "literal_error", "json_invalid",
    "json_type", "list_type", "too_long", "too_short", "greater_than_equal", "greater_than",
    "less_than_equal", "less_than", "uuid_type", "uuid_parsing", "model_type",
    "model_attributes_type", "dict_type", "union_tag_invalid", "union_tag_not_found",
    "month", "date", "division_code", "division_code_type", "version", "not_null",
]  # fmt: skip
CONTEXTS = {"expected": "'a', 'b' or 'c'", "expected_tags": "'holder' or 'adjustment'",
            "min_length": 2, "max_length": 9, "ge": 1, "gt": 0, "le": 500, "lt": 10,
            "pattern": "^x$"}  # fmt: skip


@pytest.mark.parametrize("kind", ERROR_TYPES)
def test_each_error_type_has_a_sentence_of_its_own(kind: str) -> None:
    message = validation_message({"type": kind, "loc": ("x",), "msg": "library", "ctx": CONTEXTS})
    assert message not in ("Invalid value.", "library") or kind == "value_error"
    assert message.isascii() and CJK.search(message.zh) and message != message.zh
    _assert_ours(message)
    _assert_ours(message.zh)


def test_our_validators_answer_their_own_message_and_other_texts_are_not_echoed() -> None:
    own = validation_message(
        {"type": "value_error", "ctx": {"error": ValueError(VALIDATION_MESSAGES["missing"])}}
    )
    assert (own, own.zh) == ("This field is required.", "必填字段。")
    other = validation_message({"type": "value_error", "ctx": {"error": ValueError("4417021990")}})
    assert (other, other.zh) == ("Invalid value.", "取值无效。")
    unknown = validation_message({"type": "a_type_we_never_saw", "msg": "Input should be 5"})
    assert (unknown, unknown.zh) == ("Invalid value.", "取值无效。")


BARE_VERBS = {"Create", "List", "Read", "Delete", "Update", "Publish", "Simulate", "Lookup",
              "Check", "Healthz", "Readyz"}  # fmt: skip


def test_operation_summaries_read_as_english_sentences(app: Any) -> None:
    operations = [
        (path, method, operation)
        for path, methods in app.openapi()["paths"].items()
        for method, operation in methods.items()
    ]
    summaries = [operation.get("summary", "") for _, _, operation in operations]
    assert len(summaries) == len(set(summaries)), "two operations share a summary"
    for (path, method, _), summary in zip(operations, summaries, strict=True):
        words = summary.split()
        assert len(words) >= 2, (method, path, summary)
        assert summary[0].isupper() and summary not in BARE_VERBS, (method, path, summary)
        # A sentence, not a title-cased function name ("Read Residenceperiod").
        assert not all(word[0].isupper() for word in words), (method, path, summary)
        assert summary == summary.strip() and not summary.endswith("."), (method, path, summary)
