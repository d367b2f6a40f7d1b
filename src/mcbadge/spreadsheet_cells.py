"""Cells of the CSV files people open in a spreadsheet: the quality and renewal reports, an import's result, the
credentials export. One rule for all of them, because their text is typed by people (names, titles, rubric
wording, a refused row's reason quoting the row)."""

from __future__ import annotations

__all__ = ["FORMULA_START", "csv_cell"]

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""What a spreadsheet reads as the start of a formula (OWASP, "CSV injection")."""


def csv_cell(value: object) -> str:
    """A value as CSV text: empty for none, yes/no, integers as written, other numbers to four places (trailing
    zeros dropped); text that starts like a formula gets a leading apostrophe, so a spreadsheet shows the text
    instead of running it (the apostrophe is not displayed)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".")
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text
