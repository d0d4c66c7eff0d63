"""pydantic's findings in Chinese, for every place a person reads them (the console, the API's
error messages, the CLI): the field's name as people know it, then what is wrong with it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

FIELD_LABELS = {
    "title": "标题", "body_html": "正文", "metadata": "元数据", "site": "站点", "columns": "栏目",
    "column": "栏目", "reason": "理由", "reasons": "理由", "gates": "把关项", "opinion": "意见",
    "revision": "版本", "content_hash": "内容摘要", "to": "发布目标", "at": "发布时间",
    "expire_at": "下线时间", "source": "来源", "author": "作者", "summary": "摘要",
    "keywords": "关键词", "doc_number": "文号", "index_number": "索引号",
    "issuing_agency": "发文机关", "written_date": "成文日期", "subject_category": "主题分类",
    "disclosure_type": "公开方式", "disclosure_reason": "不予公开理由", "sensitivity": "敏感程度",
    "major": "重大事项", "finding_id": "校验问题", "finding_ids": "校验问题", "limit": "条数",
    "after": "起始位置", "since": "游标", "file": "文件", "status": "状态",
}  # fmt: skip
_LOCATIONS = {"body", "query", "path", "header", "cookie", "form"}

_MESSAGES: dict[str, str] = {
    "missing": "必须填写",
    "string_too_short": "至少 {min_length} 个字符",
    "string_too_long": "最多 {max_length} 个字符",
    "too_short": "至少 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "greater_than_equal": "不能小于 {ge}",
    "greater_than": "须大于 {gt}",
    "less_than_equal": "不能大于 {le}",
    "less_than": "须小于 {lt}",
    "int_parsing": "须为整数",
    "int_type": "须为整数",
    "int_from_float": "须为整数",
    "float_parsing": "须为数字",
    "float_type": "须为数字",
    "bool_parsing": "须为 true 或 false",
    "bool_type": "须为 true 或 false",
    "string_type": "须为文本",
    "list_type": "须为列表",
    "tuple_type": "须为列表",
    "dict_type": "须为对象",
    "model_type": "须为对象",
    "model_attributes_type": "须为对象",
    "date_parsing": "日期格式有误（应为 2026-12-01）",
    "date_from_datetime_parsing": "日期格式有误（应为 2026-12-01）",
    "date_type": "日期格式有误（应为 2026-12-01）",
    "datetime_parsing": "时间格式有误（应为 2026-12-01T09:00+08:00）",
    "datetime_from_date_parsing": "时间格式有误（应为 2026-12-01T09:00+08:00）",
    "datetime_type": "时间格式有误（应为 2026-12-01T09:00+08:00）",
    "enum": "须为以下之一：{expected}",
    "literal_error": "须为以下之一：{expected}",
    "string_pattern_mismatch": "格式不符合要求",
    "extra_forbidden": "不认识的字段",
    "json_invalid": "JSON 格式有误",
    "json_type": "须为 JSON",
    "url_parsing": "网址格式有误",
    "uuid_parsing": "编号格式有误",
    "value_error": "{reason}",
    "assertion_error": "{reason}",
}


def chinese(error: Mapping[str, Any]) -> str:
    """One pydantic error as a Chinese sentence (our own validators already speak Chinese)."""
    kind = str(error.get("type", ""))
    context = dict(error.get("ctx") or {})
    context["reason"] = str(context.get("error") or error.get("msg", "")).removeprefix(
        "Value error, "
    )
    if "expected" in context:
        context["expected"] = str(context["expected"]).replace(" or ", "、").replace("'", "")
    template = _MESSAGES.get(kind)
    if template is None:
        return f"输入有误（{kind or error.get('msg', '')}）"
    try:
        return template.format(**context)
    except (KeyError, IndexError):
        return template


def where(loc: Iterable[Any], whole: str = "输入") -> str:
    """A field path with the field's Chinese name: `标题(title)`, `元数据.来源(metadata.source)`."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in _LOCATIONS:
        parts = parts[1:]
    if not parts:
        return whole
    path = ".".join(parts)
    named = ".".join(FIELD_LABELS.get(p, p) for p in parts if not p.isdigit())
    return f"{named}({path})" if named != path else path


def problems(errors: Iterable[Mapping[str, Any]], whole: str = "输入") -> list[tuple[str, str]]:
    """(where, what) of each problem."""
    return [(where(e.get("loc", ()), whole), chinese(e)) for e in errors]
