"""The one exception type a user can cause.

Everything a marketer can get wrong (a bad file, an unknown encoding, no date
column, all amounts empty, a broken definition file) raises :class:`LoyaltyError`.
It carries a Japanese message (the default) and an English one, plus where the
problem is: file, row and column when they are known.  The app shows it as an
error box, the command line prints it and exits with status 2.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class LoyaltyError(Exception):
    """An error the user can act on.

    Args:
        ja: the message in Japanese, saying what is wrong and what to do.
        en: the same message in English.
        file: the file name the problem is in, if any.
        row: the 1-based row number as a spreadsheet shows it (header = row 1), if known.
        column: the column name, if known.
        field: the definition field (for definition files), if known.
    """

    ja: str
    en: str
    file: str | None = None
    row: int | None = None
    column: str | None = None
    field: str | None = None

    def __post_init__(self) -> None:
        super().__init__(self.message("ja"))

    def where(self, lang: str = "ja") -> str:
        """The location part ("ファイル「a.csv」 3行目 列「金額」"), or ""."""
        parts: list[str] = []
        if lang == "ja":
            if self.file:
                parts.append(f"ファイル「{self.file}」")
            if self.row is not None:
                parts.append(f"{self.row:,}行目")
            if self.column:
                parts.append(f"列「{self.column}」")
            if self.field:
                parts.append(f"項目「{self.field}」")
            return " ".join(parts)
        if self.file:
            parts.append(f"file '{self.file}'")
        if self.row is not None:
            parts.append(f"row {self.row:,}")
        if self.column:
            parts.append(f"column '{self.column}'")
        if self.field:
            parts.append(f"field '{self.field}'")
        return ", ".join(parts)

    def message(self, lang: str = "ja") -> str:
        """The full message in ``lang`` ("ja" or "en"), location first."""
        text = self.ja if lang == "ja" else self.en
        where = self.where(lang)
        if not where:
            return text
        return f"{where}: {text}"

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.message("ja")
