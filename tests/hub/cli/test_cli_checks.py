"""`hub check` on real documents, and the checks through submit, override and fix."""

from __future__ import annotations

from pathlib import Path

import docx
import openpyxl
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from tests.helpers import Hub

ROW = ("王小明", "360426199101010071", "13812345678")


def make_docx(path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("关于发放2026年度助学金的公示")
    table = document.add_table(rows=2, cols=3)
    for cell, text in zip(table.rows[0].cells, ("姓名", "身份证号", "电话"), strict=True):
        cell.text = text
    for cell, text in zip(table.rows[1].cells, ROW, strict=True):
        cell.text = text
    document.save(path)


def make_pdf(path: Path) -> None:
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    page = canvas.Canvas(str(path))
    page.setFont("STSong-Light", 12)
    page.drawString(50, 800, "省委书记周海锋出席会议。")
    page.drawString(50, 780, "联系人 " + " ".join(ROW))
    page.save()


def make_xlsx(path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["姓名", "身份证号", "电话"])
    sheet.append(list(ROW))
    workbook.save(path)


def rules(result: dict) -> set[str]:
    return {f["rule"] for f in result["findings"]}


def test_check_reads_docx_pdf_and_xlsx(cli: Hub, tmp_path: Path) -> None:
    for suffix, maker in ((".docx", make_docx), (".pdf", make_pdf), (".xlsx", make_xlsx)):
        path = tmp_path / f"doc{suffix}"
        maker(path)
        result = cli.check(str(path))
        assert {"P09", "P10", "P13"} <= rules(result), (suffix, result)
        for finding in result["findings"]:
            assert set(finding) >= {"rule", "severity", "start", "end", "text", "message", "fix"}
    pdf = cli.check(str(tmp_path / "doc.pdf"))
    p02 = [f for f in pdf["findings"] if f["rule"] == "P02"]
    assert p02 and p02[0]["fix"] == "周海峰" and p02[0]["severity"] == "BLOCK"


def test_check_attachments_and_human_output(cli: Hub, tmp_path: Path) -> None:
    body = tmp_path / "body.txt"
    body.write_text("名单见附件。", encoding="utf-8")
    sheet = tmp_path / "名单.xlsx"
    make_xlsx(sheet)
    result = cli.check(str(body), "--attach", str(sheet))
    assert any(
        f["field"] == "attachment:名单.xlsx" and f["rule"] == "P09" for f in result["findings"]
    )
    human = cli.run("check", str(body), "--attach", str(sheet))
    assert human.returncode == 3 and "拦截" in human.stdout and "36*************071" in human.stdout
    clean = tmp_path / "clean.txt"
    clean.write_text("各有关单位：请按时报送材料。", encoding="utf-8")
    assert cli.run("check", str(clean)).returncode == 0  # nothing blocks: a script goes on


def test_check_bad_input(cli: Hub, tmp_path: Path) -> None:
    assert cli.fails("check", str(tmp_path / "missing.txt"))["code"] == "FILE_UNREADABLE"
    odd = tmp_path / "x.rtf"
    odd.write_text("x", encoding="utf-8")
    assert cli.fails("check", str(odd))["code"] == "ATTACHMENT_UNREADABLE"
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4 not really")
    assert cli.fails("check", str(broken))["code"] == "ATTACHMENT_UNREADABLE"
    text = tmp_path / "t.txt"
    text.write_text("正文", encoding="utf-8")
    assert cli.fails("check", str(text), "--as-of", "2026-13-01")["code"] == "INVALID_INPUT"
    assert cli.fails("check", str(text), "--site", "nowhere")["code"] == "SITE_UNKNOWN"
    meta = tmp_path / "meta.yaml"
    assert cli.fails("check", str(text), "--meta", str(meta))["code"] == "FILE_UNREADABLE"
    meta.write_text("- 不是映射\n", encoding="utf-8")
    assert cli.fails("check", str(text), "--meta", str(meta))["code"] == "INVALID_INPUT"
    meta.write_text("doc_number: [1\n", encoding="utf-8")
    assert cli.fails("check", str(text), "--meta", str(meta))["code"] == "INVALID_INPUT"
    meta.write_text("unknown_field: 1\n", encoding="utf-8")
    assert cli.fails("check", str(text), "--meta", str(meta))["code"] == "INVALID_INPUT"
    meta.write_text("doc_number: 国办发[2017]47号\n", encoding="utf-8")
    fixed = cli.check(str(text), "--meta", str(meta))
    assert [f["fix"] for f in fixed["findings"] if f["rule"] == "P16"] == ["国办发〔2017〕47号"]


def test_submit_blocks_then_fix_then_override_then_approve(cli: Hub, tmp_path: Path) -> None:
    cli.body.write_text(
        "<p>联系人张三，电话13812345678。详见<a href='http://www.example.com/a'>说明</a>。</p>",
        encoding="utf-8",
    )
    article = cli.create()
    blocked = cli.fails("article", "submit", article, "--as", "zhangwei")
    assert blocked["code"] == "CHECKS_BLOCKED"
    assert [f["rule"] for f in blocked["details"]["findings"]] == ["P10"]
    history = cli.ok("article", "history", article)
    assert [e["type"] for e in history] == ["ArticleCreated", "ArticleChecked"]
    assert history[1]["payload"]["blocked"] is True

    fixed = cli.ok("article", "fix", article, "--as", "zhangwei")
    assert fixed["revision"] == 2 and fixed["applied"]
    shown = cli.ok("article", "findings", article)
    assert "P10" not in {f["rule"] for f in shown["current"]}

    assert cli.ok("article", "submit", article, "--as", "zhangwei")["waiting_for"] == "first"
    refused = cli.fails(
        "review", "approve", article, "--gates", "wording,secrecy", "--as", "liting"
    )
    assert refused["code"] == "FINDINGS_NOT_OVERRIDDEN"
    for finding_id in refused["details"]["findings"]:
        cli.ok(
            "review",
            "override",
            article,
            "--finding",
            finding_id,
            "--reason",
            "已核实",
            "--as",
            "liting",
        )
    approved = cli.ok("review", "approve", article, "--gates", "wording,secrecy", "--as", "liting")
    assert approved["waiting_for"] == "second"
    events = [e["type"] for e in cli.ok("article", "history", article)]
    assert "FindingOverridden" in events


def test_findings_fix_and_override_bad_input(cli: Hub) -> None:
    article = cli.create()  # the default body has nothing to fix
    assert cli.fails("article", "fix", article, "--as", "zhangwei")["code"] == "NOTHING_TO_FIX"
    unknown = cli.fails("article", "fix", article, "--finding", "P09-00000000", "--as", "zhangwei")
    assert unknown["code"] == "FINDING_UNKNOWN"
    assert cli.fails("article", "findings", "ffffffffffff")["code"] == "ARTICLE_NOT_FOUND"
    cli.ok("article", "submit", article, "--as", "zhangwei")
    override = ("review", "override", article, "--finding", "P20-00000000")
    assert cli.fails(*override, "--reason", "x", "--as", "liting")["code"] == "FINDING_UNKNOWN"
    assert (
        cli.fails(*override, "--reason", "x", "--as", "zhangwei")["code"] == "STAGE_ROLE_REQUIRED"
    )
    assert cli.fails(*override, "--as", "liting")["code"] == "USAGE"


def test_the_options_the_readme_documents_work(cli: Hub) -> None:
    """`--sensitivity normal|important|sensitive` as README.md writes it (the choices were
    the enum's names, NORMAL…, so the documented spelling failed)."""
    for grade in ("normal", "important", "sensitive"):
        article = cli.create("zhangwei", "--sensitivity", grade)
        assert cli.ok("article", "show", article)["metadata"]["sensitivity"] == grade
    assert cli.fails("article", "create", "--site", "gov", "--column", "notices", "--title", "x",
                     "--body-file", str(cli.body), "--sensitivity", "NORMAL",
                     "--as", "zhangwei")["code"] == "USAGE"  # fmt: skip


def test_metadata_values_are_checked_from_the_command_line(cli: Hub, tmp_path: Path) -> None:
    body = tmp_path / "body.txt"
    body.write_text("各有关单位：现将工作方案印发给你们。", encoding="utf-8")
    meta = tmp_path / "meta.yaml"
    meta.write_text("issuing_agency: 示范省人民政府办公室\nsubject_category: 天气\n"
                    "written_date: 2099-01-01\n", encoding="utf-8")  # fmt: skip
    report = cli.check(str(body), "--meta", str(meta))
    found = {(f["field"], f["severity"]) for f in report["findings"] if f["rule"] == "P25"}
    assert found == {("metadata.issuing_agency", "REVIEW"),
                     ("metadata.subject_category", "BLOCK"),
                     ("metadata.written_date", "BLOCK")}  # fmt: skip
    assert report["blocked"]


def test_a_status_is_said_once(cli: Hub) -> None:
    """待领导签批 is the status and what the article waits for: said once, not twice."""
    from tests.helpers import STAGES

    article = cli.create("zhangwei", "--major")
    cli.ok("article", "submit", article, "--as", "zhangwei")
    for user, gates in STAGES[:-1]:
        cli.ok("review", "approve", article, "--gates", ",".join(gates), "--as", user)
    user, gates = STAGES[-1]
    last = cli.run("review", "approve", article, "--gates", ",".join(gates), "--as", user)
    assert last.returncode == 0 and "待领导签批" in last.stdout, last.stdout + last.stderr
    assert last.stdout.count("待领导签批") == 1, last.stdout
    shown = cli.run("article", "show", article).stdout
    assert "状态    待领导签批\n" in shown and shown.count("待领导签批") == 1
    waiting = cli.run("article", "show", cli.create()).stdout
    assert "状态    草稿\n" in waiting
