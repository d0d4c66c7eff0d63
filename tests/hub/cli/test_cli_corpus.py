"""Every labelled corpus document through `hub check` (body, title, column, metadata and
attachments as files): the expected findings, nothing else, and BLOCK exactly where expected."""

from __future__ import annotations

from pathlib import Path

import docx
import openpyxl
import pytest
import yaml

from tests.checks.corpus_score import CORPUS, _matches
from tests.helpers import Hub
from workflows.checks.findings import Finding

COLUMNS = {
    "通知公告": "notices",
    "政策文件": "policy-gov",
    "政策解读": "interpretation",
    "人事信息": "personnel",
    "动态要闻": "news-gov",
}
DOCUMENTS = sorted(CORPUS.glob("*.yaml"))


def attachment(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    if path.suffix == ".xlsx":
        workbook = openpyxl.Workbook()
        for row in text.split("\n"):
            workbook.active.append(row.split("\t"))
        workbook.save(path)
    elif path.suffix == ".docx":
        document = docx.Document()
        for paragraph in text.split("\n"):
            document.add_paragraph(paragraph)
        document.save(path)
    else:
        path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("document", DOCUMENTS, ids=[p.stem for p in DOCUMENTS])
def test_corpus_document_through_the_cli(cli: Hub, tmp_path: Path, document: Path) -> None:
    spec = yaml.safe_load(document.read_text(encoding="utf-8"))
    body = tmp_path / "body.html"
    body.write_text(spec["body"], encoding="utf-8")
    args = ["check", str(body), "--title", spec["title"], "--site", "gov"]
    args += ["--as-of", str(spec.get("as_of") or "2026-11-22")]
    if spec.get("column_type"):
        args += ["--column", COLUMNS[spec["column_type"]]]
    if spec.get("metadata"):
        meta = tmp_path / "meta.yaml"
        meta.write_text(yaml.safe_dump(spec["metadata"], allow_unicode=True), encoding="utf-8")
        args += ["--meta", str(meta)]
    for item in spec.get("attachments") or ():
        args += ["--attach", str(attachment(tmp_path, item["name"], item["text"]))]
    result = cli.check(*args[1:])

    unmatched = [Finding.model_validate(f) for f in result["findings"]]
    for expected in spec.get("expected") or []:
        hit = next((f for f in unmatched if _matches(expected, f)), None)
        assert hit is not None, f"missed {expected}"
        unmatched.remove(hit)
    assert not unmatched, [(f.rule, f.text) for f in unmatched]
    must_block = any(e.get("severity") == "BLOCK" for e in spec.get("expected") or [])
    if must_block:
        assert result["blocked"] is True
    assert result["blocked"] == any(f["severity"] == "BLOCK" for f in result["findings"])
