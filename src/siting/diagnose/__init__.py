"""Diagnosis: every community against every rule of the policy profile.

:func:`evaluate_rules` turns per-community metrics into ``met`` / ``not_met`` / ``not_assessable``
verdicts with the missing inputs named; :func:`size_band` and :func:`oversized` give the two size
readings the ``communities`` layer reports.
"""

from __future__ import annotations

from siting.diagnose.rules import (
    MET,
    NOT_ASSESSABLE,
    NOT_MET,
    STATUSES,
    RuleEvaluation,
    coverage_column,
    evaluate_rules,
    oversized,
    size_band,
)

__all__ = [
    "MET",
    "NOT_ASSESSABLE",
    "NOT_MET",
    "STATUSES",
    "RuleEvaluation",
    "coverage_column",
    "evaluate_rules",
    "oversized",
    "size_band",
]
