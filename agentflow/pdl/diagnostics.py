"""Compiler-style diagnostics: ``PATH:LINE:COL: error: MESSAGE`` with a caret excerpt and a hint.

The parser and checker never raise for a problem in the user's file; they collect
:class:`Diagnostic` objects. :func:`raise_for` turns the errors among them into one
:class:`~agentflow.errors.UserError` when a caller needs a valid document.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from agentflow.errors import Location, UserError

__all__ = ["Diagnostic", "Severity", "errors_of", "raise_for", "render_all"]

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding about a PDL file.

    Attributes:
        severity: ``error`` (the file is rejected) or ``warning`` (tolerated, reported).
        message: what is wrong, in one line.
        location: file, 1-based line and column.
        hint: the obvious fix, when there is one ("did you mean find_parcel?").
        length: how many characters the caret underline spans (at least 1).
        code: a stable short identifier (e.g. ``undeclared-api``) for tests and filters.
    """

    severity: Severity
    message: str
    location: Location
    hint: str | None = None
    length: int = 1
    code: str = ""

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def headline(self) -> str:
        """``PATH:LINE:COL: severity: message`` (plus `` (hint: ...)``)."""
        text = f"{self.location}: {self.severity}: {self.message}"
        if self.hint:
            text += f" (hint: {self.hint})"
        return text

    def render(self, source: str | Sequence[str] | None = None) -> str:
        """The headline, then (when ``source`` is given) the offending line with a caret underline.

        ``source`` is the file's text or, when rendering many diagnostics, its lines (split once).
        """
        out = [self.headline()]
        if source is not None and self.location.line > 0:
            lines = source.splitlines() if isinstance(source, str) else source
            if self.location.line <= len(lines):
                line = lines[self.location.line - 1].replace("\t", " ")
                col = max(self.location.col, 1)
                width = max(1, min(self.length, max(1, len(line) - col + 1)))
                prefix = f"{self.location.line:>5} | "
                out.append(prefix + line)
                out.append(" " * (len(prefix) + _display_width(line[: col - 1])) + "^" + "~" * (width - 1))
        return "\n".join(out)

    def to_user_error(self) -> UserError:
        return UserError(self.message, location=self.location, hint=self.hint)


def _display_width(text: str) -> int:
    """Terminal columns of ``text``: East Asian wide characters take two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def errors_of(diags: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Only the errors, in order."""
    return [d for d in diags if d.is_error]


def raise_for(diags: Sequence[Diagnostic]) -> None:
    """Raise a :class:`UserError` for the first error (mentioning how many more there are)."""
    errs = errors_of(diags)
    if not errs:
        return
    first = errs[0]
    message = first.message if len(errs) == 1 else f"{first.message} (and {len(errs) - 1} more errors)"
    raise UserError(message, location=first.location, hint=first.hint)


def render_all(diags: Sequence[Diagnostic], source: str | None = None) -> str:
    """All diagnostics, sorted by position, each with its excerpt."""
    ordered = sorted(diags, key=lambda d: (d.location.path, d.location.line, d.location.col))
    lines = source.splitlines() if source is not None else None
    return "\n".join(d.render(lines) for d in ordered)
