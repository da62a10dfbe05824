"""Evaluation reports: JSON for machines, an HTML page with plots and transcripts for people, comparisons."""

from agentflow.eval.report.compare import CompareRow, compare_reports
from agentflow.eval.report.html import render_html, write_report
from agentflow.eval.report.model import REPORT_SCHEMA, EvalReport, read_report

__all__ = ["REPORT_SCHEMA", "CompareRow", "EvalReport", "compare_reports", "read_report", "render_html", "write_report"]
