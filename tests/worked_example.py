"""SPEC §7's score response of the worked example (§6.5) at 2022-03-01, copied from the
spec: the engine and the API are both checked against it."""

from typing import Any

SPEC_SCORE_JSON: dict[str, Any] = {
    "holder_id": "6f1c0b52-9a4e-4f0b-8f5e-2d7f3c1a9b10",
    "jurisdiction": "441700",
    "as_of": "2022-03-01",
    "policy": {"id": "441700@example", "version": "example", "effective_from": "2016-04-11"},
    "permit_valid": True,
    "total_points": 27,
    "components": [
        {"indicator": "residence", "months": 49, "full_years": 4, "points": 8, "cap": 20},
        {"indicator": "insurance", "months": 46, "full_years": 3, "points": 9, "cap": 45},
        {"indicator": "adjustments", "points": 10, "items": [
            {"code": "college_degree", "points": 10,
             "reference": {"document": "阳江市进一步推进户籍制度改革工作方案", "clause": "三(三)9", "basis": "chosen"}}]},
    ],
    "entitlements": [
        {"domain": "education", "level": 2,
         "tier": {"code": "public_kindergarten",
                  "name": {"zh": "公办幼儿园", "en": "Public kindergarten"}},
         "services": [
             {"code": "public_school_enrolment",
              "name": {"zh": "公办学校就近入学", "en": "Public school enrolment"}},
             {"code": "kindergarten_place",
              "name": {"zh": "公办幼儿园学位", "en": "Public kindergarten place"}}],
         "next": {"level": 3, "code": "local_entrance_exam",
                  "name": {"zh": "在本地参加中考", "en": "Senior-high entrance exam taken here"},
                  "missing": {"points": 13, "residence_months": 11, "insurance_months": 14},
                  "projected_on": "2024-05-01"}},
        {"domain": "healthcare", "level": 1,
         "tier": {"code": "basic_public_health",
                  "name": {"zh": "基本公共卫生服务", "en": "Basic public health services"}},
         "services": [{"code": "health_record",
                       "name": {"zh": "居民健康档案", "en": "Resident health record"}}],
         "next": None},
        {"domain": "housing", "level": 0, "services": [],
         "next": {"level": 1, "code": "rent_subsidy", "name": {"zh": "租赁补贴", "en": "Rent subsidy"},
                  "missing": {"points": 3}, "projected_on": "2022-05-01"}},
        {"domain": "settlement", "level": 1,
         "tier": {"code": "household_registration",
                  "name": {"zh": "登记常住户口", "en": "Household registration"}},
         "services": [{"code": "hukou_registration",
                       "name": {"zh": "落户办理", "en": "Registering the household"}}],
         "next": None},
    ],
}  # fmt: skip
