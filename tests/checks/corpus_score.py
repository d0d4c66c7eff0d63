"""Precision and recall per rule over the labelled corpus in tests/checks/corpus.

    python -m tests.checks.corpus_score

Each corpus file is a realistic government text with its expected findings (rule, the exact
text, optionally the severity). A finding matches an expected entry of the same rule whose
text is equal (an empty expected text matches any text of that rule: findings about a whole
field or the whole article); each expected entry matches at most one finding.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from hub.setup.config import load_config
from workflows.checks.document import CheckContext
from workflows.checks.engine import run_checks
from workflows.checks.findings import Finding
from workflows.content import ArticleMetadata

CORPUS = Path(__file__).parent / "corpus"
CONFIG = Path(__file__).parents[2] / "config"


@dataclass
class RuleScore:
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        expected = self.true_positives + self.false_negatives
        return self.true_positives / expected if expected else 1.0


def check_document(spec: dict[str, Any]) -> list[Finding]:
    """Run the checks over one corpus document as the hub would at submission."""
    config = load_config(CONFIG)
    as_of = spec.get("as_of") or date(2026, 11, 22)
    context = CheckContext(
        phase="submit",
        as_of=as_of if isinstance(as_of, date) else date.fromisoformat(as_of),
        column_type=spec.get("column_type"),
        org_code="11990000MB0000001M",
    )
    attachments = tuple((a["name"], a["text"]) for a in spec.get("attachments", ()))
    report = run_checks(
        spec["title"],
        spec["body"],
        ArticleMetadata.model_validate(spec.get("metadata") or {}),
        config.checks,
        context,
        attachments,
    )
    return list(report.findings)


def _matches(expected: dict[str, Any], finding: Finding) -> bool:
    if expected["rule"] != finding.rule:
        return False
    if expected.get("severity") and expected["severity"] != finding.severity.value:
        return False
    text = str(expected.get("text", ""))
    return text == "" or text == finding.text


def score() -> dict[str, RuleScore]:
    """Scores per rule over every corpus document."""
    scores: dict[str, RuleScore] = defaultdict(RuleScore)
    for path in sorted(CORPUS.glob("*.yaml")):
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        findings = check_document(spec)
        unmatched = list(findings)
        for expected in spec.get("expected") or []:
            hit = next((f for f in unmatched if _matches(expected, f)), None)
            if hit is None:
                scores[expected["rule"]].false_negatives += 1
                scores[expected["rule"]].misses.append(f"{path.name}: missed {expected}")
            else:
                unmatched.remove(hit)
                scores[hit.rule].true_positives += 1
        for finding in unmatched:
            scores[finding.rule].false_positives += 1
            scores[finding.rule].misses.append(
                f"{path.name}: unexpected {finding.rule} {finding.severity} {finding.text!r}"
            )
    return dict(sorted(scores.items()))


def main() -> int:
    scores = score()
    print(f"{'rule':<6}{'TP':>5}{'FP':>5}{'FN':>5}{'precision':>11}{'recall':>9}")
    worst = 1.0
    for rule, s in scores.items():
        print(
            f"{rule:<6}{s.true_positives:>5}{s.false_positives:>5}{s.false_negatives:>5}"
            f"{s.precision:>11.2f}{s.recall:>9.2f}"
        )
        worst = min(worst, s.precision, s.recall)
    for s in scores.values():
        for miss in s.misses:
            print("  " + miss)
    print(f"rules: {len(scores)}, lowest precision or recall: {worst:.2f}")
    return 0 if worst >= 0.95 else 1


if __name__ == "__main__":
    sys.exit(main())
