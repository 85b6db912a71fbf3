"""Human-readable text in Chinese (the default) and English (`Accept-Language: en`).

A `Message` is its English text, so that code and logs read it as a plain string, and it
carries its Chinese; answers pick one by the request's `Accept-Language`.
"""

import re
from collections.abc import Mapping
from typing import Any


class Message(str):
    zh: str

    def __new__(cls, en: str, zh: str) -> "Message":
        message = super().__new__(cls, en)
        message.zh = zh
        return message


def tr(en: str, zh: str) -> Message:
    return Message(en, zh)


def in_language(text: str, language: str) -> str:
    """`text` in `language` ('zh' or 'en'); text with no Chinese stays as it is."""
    if language == "en":
        return str(text)
    return getattr(text, "zh", str(text))


def preferred_language(accept_language: str | None) -> str:
    """'en' when the client prefers English to Chinese (RFC 9110 quality values), else 'zh'."""
    best: tuple[float, str] = (0.0, "zh")
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        language = tag.strip().lower().split("-")[0]
        if language in ("zh", "en") and quality > best[0]:
            best = (quality, language)
    return best[1]


# --- field messages of request validation ------------------------------------------------------
#
# Every pydantic error that can reach a client answers one of these sentences, never pydantic's
# own (which is English only and can quote a regular expression or, in `input`, the value sent:
# maybe an ID number). Each names what is expected.

# Years 0001 to 9999, as dates have them: "0000-01" is no month (app/register/schemas.py).
MONTH_PATTERN = r"^([0-9]{3}[1-9]|[0-9]{2}[1-9]0|[0-9][1-9]00|[1-9]000)-(0[1-9]|1[0-2])$"

DATE = tr("Expected a date, YYYY-MM-DD.", "应为日期，格式 YYYY-MM-DD。")
MONTH = tr("Expected a month, YYYY-MM.", "应为月份，格式 YYYY-MM。")
DIVISION_CODE = tr("Expected a division code, 6 digits.", "应为行政区划代码，6 位数字。")
TIME = tr("Expected a time, RFC 3339 with its offset.", "应为带时区偏移的 RFC 3339 时间。")
INTEGER = tr("Expected an integer.", "应为整数。")
NUMBER = tr("Expected a number.", "应为数字。")
BOOLEAN = tr("Expected true or false.", "应为 true 或 false。")
STRING = tr("Expected a string.", "应为字符串。")
OBJECT = tr("Expected a JSON object.", "应为 JSON 对象。")
ARRAY = tr("Expected an array.", "应为数组。")
UUID = tr("Expected a UUID.", "应为 UUID。")
WRONG_FORMAT = tr("Wrong format.", "格式不正确。")
INVALID_VALUE = tr("Invalid value.", "取值无效。")

# `string_pattern_mismatch`, by the pattern a field declares.
PATTERN_MESSAGES = {
    r"^[0-9]{6}$": DIVISION_CODE,
    r"^[0-9]{9}$": tr("Expected a township code, 9 digits.", "应为乡级区划代码，9 位数字。"),
    MONTH_PATTERN: MONTH,
    r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$": tr(
        "Expected a code of 1 to 64 letters, digits, '_', '.' or '-', not starting with '.'"
        " or '-'.",
        "应为代码：1 至 64 个字母、数字、“_”、“.”或“-”，不以“.”或“-”开头。",
    ),
    r"^[a-z][a-z0-9_]{0,63}$": tr(
        "Expected a name of 1 to 64 lowercase letters, digits or '_', starting with a letter.",
        "应为名称：1 至 64 个小写字母、数字或“_”，以字母开头。",
    ),
}

# By pydantic error type: texts that need nothing from the error's context.
VALIDATION_MESSAGES = {
    "missing": tr("This field is required.", "必填字段。"),
    "extra_forbidden": tr("Unknown field.", "未知字段。"),
    "string_type": STRING,
    "string_sub_type": STRING,
    "string_unicode": tr("Expected text in UTF-8.", "应为 UTF-8 文本。"),
    "string_pattern_mismatch": WRONG_FORMAT,
    "int_type": INTEGER,
    "int_parsing": INTEGER,
    "int_from_float": INTEGER,
    "int_parsing_size": tr("Expected a smaller integer.", "整数过大。"),
    "float_type": NUMBER,
    "float_parsing": NUMBER,
    "finite_number": NUMBER,
    "bool_type": BOOLEAN,
    "bool_parsing": BOOLEAN,
    "date_type": DATE,
    "date_parsing": DATE,
    "date_from_datetime_parsing": DATE,
    "date_from_datetime_inexact": DATE,
    "datetime_type": TIME,
    "datetime_parsing": TIME,
    "datetime_from_date_parsing": TIME,
    "datetime_object_invalid": TIME,
    "timezone_aware": TIME,
    "uuid_type": UUID,
    "uuid_parsing": UUID,
    "uuid_version": UUID,
    "list_type": ARRAY,
    "tuple_type": ARRAY,
    "set_type": ARRAY,
    "dict_type": OBJECT,
    "model_type": OBJECT,
    "model_attributes_type": OBJECT,
    "dataclass_type": OBJECT,
    "none_required": tr("Expected null.", "应为 null。"),
    "json_invalid": tr("Expected valid JSON.", "应为有效的 JSON。"),
    "json_type": tr("Expected JSON text.", "应为 JSON 文本。"),
    "union_tag_not_found": tr("The kind is missing.", "缺少类型字段。"),
    # Our own custom types (app/domain/calendar.py, app/domain/policy.py).
    "month": MONTH,
    "date": DATE,
    "division_code_type": tr(
        "Expected a division code as a string of 6 digits (quote it in YAML).",
        "应为字符串形式的 6 位行政区划代码（YAML 中请加引号）。",
    ),
    "division_code": tr(
        "Expected a division code: 6 digits starting with a province-level code (GB/T 2260).",
        "应为行政区划代码：以省级代码开头的 6 位数字（GB/T 2260）。",
    ),
    "version": tr(
        "Expected a version of 1 to 64 letters, digits, '.', '_' or '-'.",
        "应为版本：1 至 64 个字母、数字、“.”、“_”或“-”。",
    ),
    "not_null": tr("Expected a value, not null.", "应有取值，不能为 null。"),
}


def _allowed(expected: object) -> list[str]:
    """pydantic's `'a', 'b' or 'c'` (the allowed values, never the input) as a list."""
    parts = re.split(r",\s*|\s+or\s+", str(expected))
    return [part.strip().strip("'") for part in parts if part.strip()]


def validation_message(error: Mapping[str, Any]) -> Message:
    """Our sentence, in both languages, for one pydantic error (`ValidationError.errors()`)."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "string_pattern_mismatch":
        return PATTERN_MESSAGES.get(str(ctx.get("pattern")), WRONG_FORMAT)
    if kind in ("enum", "literal_error", "union_tag_invalid"):
        values = _allowed(ctx.get("expected", ctx.get("expected_tags", "")))
        if values:
            return tr(
                f"Expected one of: {', '.join(values)}.", f"应为以下之一：{'、'.join(values)}。"
            )
        return INVALID_VALUE
    if kind in ("string_too_short", "string_too_long", "too_short", "too_long"):
        return _length_message(kind, ctx)
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        return _bound_message(kind, ctx)
    if kind in ("value_error", "assertion_error"):
        # Our validators raise `ValueError(tr(...))`; any other text could quote the input.
        reason = getattr(ctx.get("error"), "args", ())
        if reason and isinstance(reason[0], Message):
            return reason[0]
        return INVALID_VALUE
    return VALIDATION_MESSAGES.get(kind, INVALID_VALUE)


def _length_message(kind: str, ctx: dict[str, Any]) -> Message:
    if kind == "string_too_short":
        n = ctx.get("min_length")
        if n == 1:
            return tr("Expected text, not blank.", "不能为空。")
        return tr(f"Expected at least {n} characters.", f"应至少 {n} 个字符。")
    if kind == "string_too_long":
        n = ctx.get("max_length")
        return tr(f"Expected at most {n} characters.", f"应至多 {n} 个字符。")
    if kind == "too_short":
        n = ctx.get("min_length")
        return tr(f"Expected at least {n} items.", f"应至少 {n} 项。")
    n = ctx.get("max_length")
    return tr(f"Expected at most {n} items.", f"应至多 {n} 项。")


def _bound_message(kind: str, ctx: dict[str, Any]) -> Message:
    if kind == "greater_than_equal":
        return tr(f"Expected {ctx.get('ge')} or more.", f"应不小于 {ctx.get('ge')}。")
    if kind == "greater_than":
        return tr(f"Expected more than {ctx.get('gt')}.", f"应大于 {ctx.get('gt')}。")
    if kind == "less_than_equal":
        return tr(f"Expected {ctx.get('le')} or less.", f"应不大于 {ctx.get('le')}。")
    return tr(f"Expected less than {ctx.get('lt')}.", f"应小于 {ctx.get('lt')}。")
