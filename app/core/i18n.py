"""Human-readable text in Chinese (the default) and English (`Accept-Language: en`).

A `Message` is its English text, so that code and logs read it as a plain string, and it
carries its Chinese; answers pick one by the request's `Accept-Language`.
"""


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


# Field messages of request validation, by pydantic error type.
VALIDATION_ZH = {
    "missing": "必填字段。",
    "extra_forbidden": "未知字段。",
    "string_type": "应为字符串。",
    "string_too_short": "字符串过短。",
    "string_too_long": "字符串过长。",
    "string_pattern_mismatch": "格式不正确。",
    "int_type": "应为整数。",
    "int_parsing": "应为整数。",
    "bool_type": "应为布尔值。",
    "date_type": "应为日期 YYYY-MM-DD。",
    "date_parsing": "应为日期 YYYY-MM-DD。",
    "date_from_datetime_parsing": "应为日期 YYYY-MM-DD。",
    "enum": "不是允许的取值。",
    "literal_error": "不是允许的取值。",
    "list_type": "应为数组。",
    "too_long": "条目过多。",
    "too_short": "条目过少。",
    "model_type": "应为 JSON 对象。",
    "model_attributes_type": "应为 JSON 对象。",
    "dict_type": "应为 JSON 对象。",
    "greater_than_equal": "数值过小。",
    "less_than_equal": "数值过大。",
    "uuid_parsing": "应为 UUID。",
    "value_error": "取值无效。",
}
