"""``sfai check``: deterministic analyzers over the catalog's results. No LLM."""

from sfai.core.checks.findings import CheckReport, Finding, Severity
from sfai.core.checks.runner import run_checks

__all__ = ["CheckReport", "Finding", "Severity", "run_checks"]
