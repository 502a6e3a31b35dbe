"""One error family for the whole tool.

``SitingError`` is the root. ``InputError`` means bad data or configuration (the CLI exits with 2);
``InfeasibleError`` means no plan can meet what was asked (the message says which rule or model and by
how much). Input checks gather every problem of one input into a :class:`Problems` collector and raise
once, so a planner fixes a file in one pass instead of one error at a time. Warnings that reach the
planner's report are :class:`Notice` strings: English for logs and ``run.json``, with the Chinese text
the report shows by default.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Self


class SitingError(Exception):
    """Base class of every error ``siting`` raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input.

    Parameters
    ----------
    message : str
        What is wrong, in plain words.
    source : str, optional
        The file (or configuration key) it was found in.
    feature : str, optional
        The row or feature id (e.g. ``community_id=C03`` or ``row 17``).
    column : str, optional
        The column or field concerned.
    fix : str, optional
        What would fix it.
    """

    message: str
    source: str | None = None
    feature: str | None = None
    column: str | None = None
    fix: str | None = None

    def __str__(self) -> str:
        where = []
        if self.source:
            where.append(f"`{self.source}`")
        if self.feature:
            where.append(f"feature {self.feature}")
        if self.column:
            where.append(f"column `{self.column}`")
        text = (", ".join(where) + ": " if where else "") + self.message
        if self.fix:
            text += f" Fix: {self.fix}"
        return text


class InputError(SitingError):
    """Bad input data or configuration. Holds every problem found in that input."""

    def __init__(self, problems: list[Problem] | Problem | str) -> None:
        if isinstance(problems, str):
            problems = [Problem(problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        if len(self.problems) == 1:
            text = str(self.problems[0])
        else:
            text = f"{len(self.problems)} problems:\n" + "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(text)


class InfeasibleError(SitingError):
    """No solution meets what was asked; the message carries the numbers that make it impossible."""


@dataclass
class Problems:
    """Collects problems of one input, then raises them together.

    Examples
    --------
    >>> problems = Problems(source="communities.geojson")
    >>> problems.add("duplicate id", feature="community_id=C1", column="community_id",
    ...              fix="give every community a unique id")
    >>> problems.raise_if_any()  # doctest: +SKIP
    """

    source: str | None = None
    items: list[Problem] = field(default_factory=list)

    def add(
        self,
        message: str,
        *,
        feature: str | None = None,
        column: str | None = None,
        fix: str | None = None,
        source: str | None = None,
    ) -> None:
        self.items.append(Problem(message, source or self.source, feature, column, fix))

    def __bool__(self) -> bool:
        return bool(self.items)

    def __iter__(self) -> Iterator[Problem]:
        return iter(self.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise InputError(self.items)


class Notice(str):
    """A warning for the planner in both languages.

    The string itself is the English text (logs, ``run.json``, tests); ``zh`` holds the Chinese one,
    which the report, map and spreadsheet show by default. Plain strings are accepted wherever a
    notice is, and shown as they are.

    Parameters
    ----------
    en, zh : str
        The same message in English and in Chinese.
    """

    zh: str

    def __new__(cls, en: str, zh: str) -> Self:
        obj = super().__new__(cls, en)
        obj.zh = zh
        return obj

    def __reduce__(self) -> tuple[type[Notice], tuple[str, str]]:  # pickling (Dask batch runs)
        return (Notice, (str(self), self.zh))

    def text(self, language: str) -> str:
        """The message in ``language`` (``"zh"`` or ``"en"``)."""
        return self.zh if language == "zh" else str(self)


def notice_text(message: str, language: str) -> str:
    """A warning in ``language``: a :class:`Notice`'s translation, any other string as it is."""
    return message.text(language) if isinstance(message, Notice) else str(message)
