"""SPEC §5: the policy document, its validation, its errors and the way it is served."""

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from app.domain.policy import Policy, ordered_domains
from app.policies.document import PolicyError, load_policy_yaml, parse_policy

FIXTURE = Path(__file__).parents[1] / "fixtures" / "example_policy.yaml"
TEXT = FIXTURE.read_text(encoding="utf-8")
EXAMPLE = load_policy_yaml(TEXT, FIXTURE.name)


def served() -> dict[str, Any]:
    return EXAMPLE.served()


def test_the_example_loads() -> None:
    assert isinstance(EXAMPLE, Policy)
    assert EXAMPLE.id == "441700@example"
    assert EXAMPLE.effective_from == date(2016, 4, 11)
    assert list(EXAMPLE.domains) == ["education", "healthcare", "housing", "settlement"]
    assert len(EXAMPLE.tests) == 4


def test_served_fills_defaults_but_keeps_requires_as_written() -> None:
    data = served()
    assert data["effective_to"] is None
    assert data["adjustments"][1] == {
        "code": "false_materials",
        "points": -20,
        "name": {"zh": "提供虚假材料", "en": "False materials"},
        "repeatable": False,
    }
    assert data["indicators"]["residence"] == {
        "points_per_year": 2,
        "cap": 20,
        "counting": "cumulative",
    }
    education = data["domains"]["education"]
    assert education[0]["requires"] == {}
    assert education[1]["requires"] == {"min_points": 20, "min_insurance_months": 36}
    assert data["domains"]["settlement"][0]["requires"]["any_of"][0] == {
        "current_district_not_in": ["441702", "441704"]
    }
    # the test case as given: no housing default added, open ends left out
    case = data["tests"][0]
    assert case["input"] == {
        "permit": {"issued_on": "2019-06-01", "valid_until": "2020-06-01", "status": "active"},
        "residence_periods": [
            {"district": "441702", "start_date": "2019-05-01", "housing": "rented"}
        ],
    }
    json.dumps(data)  # JSON-able: dates are ISO strings


def test_defaults_of_a_minimal_document() -> None:
    data = served()
    for key in ("effective_to", "sources", "notes", "adjustments"):
        del data[key]
    data["tests"][1:] = []  # the worked-example cases use the catalogue
    data["domains"]["settlement"][0]["requires"] = {}
    policy = parse_policy(data, "minimal")
    assert (policy.effective_to, policy.sources, policy.notes, policy.adjustments) == (
        None, [], {}, []
    )  # fmt: skip
    assert policy.indicators.insurance.types == ["pension"]
    data["indicators"]["insurance"] = {"points_per_year": 1, "cap": 5}
    assert parse_policy(data, "minimal").indicators.insurance.types == []


def test_a_json_posting_is_the_same_document() -> None:
    """ISO strings for dates, as JSON gives them, load to the same policy."""
    again = parse_policy(json.loads(json.dumps(served())), "posted.json")
    assert again.served() == served()


def test_comments_and_key_order_do_not_count() -> None:
    reordered = TEXT.replace(
        'version: "example"\neffective_from: 2016-04-11\n',
        "effective_from: 2016-04-11  # a comment\nversion: example\n",
    )
    assert reordered != TEXT
    assert load_policy_yaml(reordered, "other.yaml").served() == served()


def test_other_content_is_another_document() -> None:
    changed = TEXT.replace("points_per_year: 2, cap: 20", "points_per_year: 3, cap: 20")
    assert load_policy_yaml(changed, "other.yaml").served() != served()


def test_explicit_defaults_inside_requires_are_kept() -> None:
    data = served()
    data["domains"]["education"][0]["requires"] = {"valid_permit": True}
    assert parse_policy(data, "x").served()["domains"]["education"][0]["requires"] == {
        "valid_permit": True
    }
    assert parse_policy(data, "x").served() != served()  # served as written: not the same


def test_domains_are_served_in_order() -> None:
    data = served()
    tiers = data["domains"]["healthcare"]
    data["domains"] = {
        "settlement": data["domains"]["settlement"],
        "employment": tiers,
        "aged_care": [],
        "housing": [],
        "healthcare": tiers,
        "education": data["domains"]["education"],
    }
    policy = parse_policy(data, "x")
    order = ["education", "healthcare", "housing", "settlement", "aged_care", "employment"]
    assert list(policy.domains) == order
    assert list(policy.served()["domains"]) == order
    assert ordered_domains(["zoo", "housing", "art", "education"]) == [
        "education", "housing", "art", "zoo"
    ]  # fmt: skip


def test_an_unquoted_date_version_is_its_iso_text() -> None:
    policy = load_policy_yaml(TEXT.replace('version: "example"', "version: 2016-04-11"), "x")
    assert policy.version == "2016-04-11"
    assert policy.id == "441700@2016-04-11"


Change = Callable[[dict[str, Any]], Any]


def at(path: str, value: Any) -> Change:
    """Set (or, for ..., delete) the value at a dotted path of the served document."""

    def change(data: dict[str, Any]) -> None:
        *parents, last = path.replace("[", ".").replace("]", "").split(".")
        node: Any = data
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        key: Any = int(last) if last.isdigit() else last
        if value is ...:
            del node[key]
        else:
            node[key] = value

    return change


def settlement_alternatives(data: dict[str, Any]) -> list[dict[str, Any]]:
    return data["domains"]["settlement"][0]["requires"]["any_of"]


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        (at("domains.education[1].requires.min_points", "x"),
         "domains.education[1].requires.min_points", "Input should be a valid integer"),
        (at("domains.education[1].requires.min_points", None),
         "domains.education[1].requires.min_points", "Input should not be null"),
        (at("domains.education[1].requires.min_points", -1),
         "domains.education[1].requires.min_points", "greater than or equal to 0"),
        (at("colour", "red"), "colour", "Extra inputs are not permitted"),
        (at("domains.education[0].requires.min_age", 18),
         "domains.education[0].requires.min_age", "Extra inputs are not permitted"),
        (at("tests", ...), "tests", "Field required"),
        (at("tests", []), "tests", "at least 1 item"),
        (at("permit.endorsement_months", ...), "permit.endorsement_months", "Field required"),
        (at("jurisdiction.code", 441700), "jurisdiction.code", "quote it in YAML"),
        (at("jurisdiction.code", "44170"), "jurisdiction.code", "6 digits"),
        (at("jurisdiction.code", "991700"), "jurisdiction.code", "province-level"),
        (at("jurisdiction.districts[0].code", 441702), "jurisdiction.districts[0].code",
         "string"),
        (at("jurisdiction.districts[0].code", "440103"), "jurisdiction.districts[0].code",
         "not inside jurisdiction 441700"),
        (at("jurisdiction.districts[1].code", "441702"), "jurisdiction.districts[1].code",
         "duplicate"),
        (at("jurisdiction.name.en", ...), "jurisdiction.name.en", "Field required"),
        (at("jurisdiction.name.fr", "Yangjiang"), "jurisdiction.name.fr", "Extra inputs"),
        (at("effective_to", "2016-04-11"), "effective_to", "after effective_from"),
        (at("effective_from", "2016-04-11T00:00:00"), "effective_from", "valid date"),
        (at("effective_from", "2016-02-30"), "effective_from", "valid date"),
        (at("version", 2016), "version", "A version is a string"),
        (at("version", "a/b"), "version", "A version is a string"),
        (at("indicators.residence.points_per_year", -1), "indicators.residence.points_per_year",
         "greater than or equal to 0"),
        (at("indicators.residence.cap", 2.5), "indicators.residence.cap", "valid integer"),
        (at("indicators.residence.counting", "continuous"), "indicators.residence.max_gap_days",
         "needs max_gap_days"),
        (at("indicators.insurance.max_gap_months", ...), "indicators.insurance.max_gap_months",
         "needs max_gap_months"),
        (at("indicators.insurance.types", ["pensions"]), "indicators.insurance.types[0]",
         "Input should be"),
        (at("indicators.residence.max_gap_months", 3), "indicators.residence.max_gap_months",
         "Extra inputs"),
        (at("adjustments[1].code", "college_degree"), "adjustments[1].code", "duplicate"),
        (at("adjustments[1].points", "-20"), "adjustments[1].points", "valid integer"),
        (at("adjustments[1].repeatable", "yes"), "adjustments[1].repeatable", "valid boolean"),
        (at("domains.housing", ...), "domains", "missing: housing"),
        (at("domains.education[0].level", 2), "domains.education[0].level", "expected 1"),
        (at("domains.education[2].level", 4), "domains.education[2].level", "expected 3"),
        (at("domains.education[1].code", "compulsory_education"), "domains.education[1].code",
         "duplicate"),
        (at("domains.education[0].services", ...), "domains.education[0].services",
         "Field required"),
        (at("domains.education[0].requires.current_housing_in", ["palace"]),
         "domains.education[0].requires.current_housing_in[0]", "Input should be"),
        (at("domains.education[0].requires.current_district_in", ["441799"]),
         "domains.education[0].requires.current_district_in[0]", "not a district"),
        (at("domains.education[0].requires.valid_permit", "no"),
         "domains.education[0].requires.valid_permit", "valid boolean"),
        (lambda d: settlement_alternatives(d)[2].update(adjustments_any=["phd"]),
         "domains.settlement[0].requires.any_of[2].adjustments_any[0]", "not in the adjustments"),
        (lambda d: settlement_alternatives(d)[0].update(any_of=[{}]),
         "domains.settlement[0].requires.any_of[0].any_of", "Extra inputs"),
        (at("domains.settlement[0].requires.any_of", []),
         "domains.settlement[0].requires.any_of", "at least 1 item"),
        (at("domains.Education", []), "domains.Education", "should match pattern"),
        (at("tests[0].as_of", "2016-04-10"), "tests[0].as_of", "inside the version's own dates"),
        (at("tests[0].input.residence_periods[0].district", "441799"),
         "tests[0].input.residence_periods[0].district", "not a district of this jurisdiction"),
        (at("tests[0].input.residence_periods[0].end_date", "2019-05-01"),
         "tests[0].input.residence_periods[0].end_date", "after start_date"),
        (at("tests[0].input.residence_periods[0].id", 1),
         "tests[0].input.residence_periods[0].id", "Extra inputs"),
        (at("tests[1].input.insurance_periods[0].end_month", "2018-02"),
         "tests[1].input.insurance_periods[0].end_month", "before start_month"),
        (at("tests[1].input.insurance_periods[0].start_month", "2018-13"),
         "tests[1].input.insurance_periods[0].start_month", "YYYY-MM"),
        (at("tests[1].input.adjustments[0].code", "phd"), "tests[1].input.adjustments[0].code",
         "not in the adjustments catalogue"),
        (at("tests[0].input.permit.valid_until", "2019-05-31"),
         "tests[0].input.permit.valid_until", "before issued_on"),
        (at("tests[0].input.permit", ...), "tests[0].input.permit", "Field required"),
        (at("tests[0].output.levels.transport", 1), "tests[0].output.levels.transport",
         "not a domain"),
        (at("tests[0].output.score", 1), "tests[0].output.score", "Extra inputs"),
        (at("adjustments[0].reference.basis", ...), "adjustments[0].reference.basis",
         "Field required"),
        (at("adjustments[0].reference.basis", "quoted"), "adjustments[0].reference.basis",
         "'stated' or 'chosen'"),
        (at("domains.education[0].requires.current_area_kind_in", ["village"]),
         "domains.education[0].requires.current_area_kind_in[0]", "Input should be"),
        (at("domains.education[0].requires.current_area_kind_in", None),
         "domains.education[0].requires.current_area_kind_in", "Input should not be null"),
        (at("tests[0].input.residence_periods[0].township", "441704101"),
         "tests[0].input.residence_periods[0].township", "district"),
        (at("tests[0].input.residence_periods[0].township", "441702000"),
         "tests[0].input.residence_periods[0].township", "000"),
        (at("tests[0].input.residence_periods[0].township", "4417021"),
         "tests[0].input.residence_periods[0].township", "9 digits"),
    ],
)  # fmt: skip
def test_invalid_documents_name_the_field(change: Change, field: str, reason: str) -> None:
    data = served()
    change(data)
    with pytest.raises(PolicyError) as raised:
        parse_policy(data, "441700-2016.yaml")
    error = raised.value
    assert (error.source, error.field) == ("441700-2016.yaml", field)
    assert reason in error.reason
    assert str(error) == f"441700-2016.yaml: {field}: {error.reason}"


def test_the_error_reads_like_the_spec_example() -> None:
    data = served()
    data["domains"]["education"][1]["requires"]["min_points"] = "twenty"
    with pytest.raises(PolicyError) as raised:
        parse_policy(data, "441700-2016.yaml")
    assert str(raised.value) == (
        "441700-2016.yaml: domains.education[1].requires.min_points: "
        "Input should be a valid integer"
    )


def test_a_case_may_name_a_district_of_another_jurisdiction() -> None:
    data = served()
    data["tests"][0]["input"]["residence_periods"][0]["district"] = "440103"
    parse_policy(data, "x")


def test_every_problem_is_listed() -> None:
    data = served()
    data["colour"] = "red"
    data["version"] = 1
    with pytest.raises(PolicyError) as raised:
        parse_policy(data, "x")
    assert {field for field, _ in raised.value.problems} == {"colour", "version"}


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("jurisdiction: [", "not valid YAML"),
        ("- 1\n- 2\n", "a policy document is a mapping"),
        ("version: a\nversion: b\n", "duplicate key 'version'"),
    ],
)
def test_unreadable_yaml(text: str, reason: str) -> None:
    with pytest.raises(PolicyError) as raised:
        load_policy_yaml(text, "bad.yaml")
    assert raised.value.source == "bad.yaml" and raised.value.field == ""
    assert reason in raised.value.reason


def test_an_unquoted_district_code_in_yaml_is_refused() -> None:
    text = TEXT.replace('- {code: "441702", name:', "- {code: 441702, name:", 1)
    with pytest.raises(PolicyError) as raised:
        load_policy_yaml(text, "x.yaml")
    assert raised.value.field == "jurisdiction.districts[0].code"


# Every number a policy carries is bounded (issue 15): (path, lowest, highest) allowed.
BOUNDS = [
    ("adjustments[0].points", -10_000, 10_000),
    ("adjustments[1].points", -10_000, 10_000),
    ("indicators.residence.points_per_year", 0, 10_000),
    ("indicators.residence.cap", 0, 10_000),
    ("indicators.residence.max_gap_days", 0, 3_660),
    ("indicators.insurance.points_per_year", 0, 10_000),
    ("indicators.insurance.cap", 0, 10_000),
    ("indicators.insurance.max_gap_months", 0, 120),
    ("permit.min_residence_months", 0, 1_200),
    ("permit.endorsement_months", 1, 120),
    ("domains.education[1].requires.min_points", 0, 10_000),
    ("domains.education[2].requires.min_residence_months", 0, 1_200),
    ("domains.education[1].requires.min_insurance_months", 0, 1_200),
    ("domains.settlement[0].requires.any_of[2].min_points", 0, 10_000),
    ("domains.settlement[0].requires.any_of[0].min_residence_months", 0, 1_200),
    ("domains.settlement[0].requires.any_of[1].min_insurance_months", 0, 1_200),
]


@pytest.mark.parametrize(("path", "lowest", "highest"), BOUNDS)
def test_numbers_at_their_bounds_are_accepted(path: str, lowest: int, highest: int) -> None:
    for value in (lowest, highest):
        data = served()
        at(path, value)(data)
        parse_policy(data, "x")


@pytest.mark.parametrize(("path", "lowest", "highest"), BOUNDS)
def test_numbers_beyond_their_bounds_name_the_field(path: str, lowest: int, highest: int) -> None:
    for value, reason in (
        (highest + 1, f"less than or equal to {highest}"),
        (lowest - 1, f"greater than or equal to {lowest}"),
        (3_000_000_000, f"less than or equal to {highest}"),  # the value that broke PostgreSQL
    ):
        data = served()
        at(path, value)(data)
        with pytest.raises(PolicyError) as raised:
            parse_policy(data, "x")
        assert (raised.value.field, raised.value.problems) == (path, [(path, raised.value.reason)])
        assert reason in raised.value.reason
