"""Tables of measured numbers, rendered as Markdown in Jupyter and as plain text elsewhere."""
from __future__ import annotations


def _fmt(v, floatfmt):
    if isinstance(v, float) or hasattr(v, "se"):  # numbers and Estimates ("value ± se")
        return format(v, floatfmt)
    return str(v)


def _md(cell: str) -> str:
    """Escape what would break a Markdown table cell: ``|`` (e.g. in ``max |x|``) and newlines."""
    return cell.replace("|", "\\|").replace("\n", " ")


class Table:
    """A list of rows with headers; shows as a Markdown table in Jupyter, as text in ``print``."""

    def __init__(self, headers, rows, floatfmt=".3g", caption=None):
        self.headers = list(headers)
        self.rows = [list(r) for r in rows]
        for r in self.rows:
            if len(r) != len(self.headers):
                raise ValueError(f"each row must have {len(self.headers)} cells, got {len(r)}: {r}")
        self.floatfmt = floatfmt
        self.caption = caption

    def _cells(self):
        return [[_fmt(v, self.floatfmt) for v in r] for r in self.rows]

    def _repr_markdown_(self):
        lines = ["| " + " | ".join(map(_md, self.headers)) + " |", "|" + "---|" * len(self.headers)]
        lines += ["| " + " | ".join(map(_md, r)) + " |" for r in self._cells()]
        if self.caption:
            lines += ["", f"*{self.caption}*"]
        return "\n".join(lines)

    def __str__(self):
        cells = [self.headers] + self._cells()
        widths = [max(len(r[k]) for r in cells) for k in range(len(self.headers))]
        out = ["  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in cells]
        out.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(out + ([self.caption] if self.caption else []))

    __repr__ = __str__

    def folded(self, summary: str, *more: "Table") -> "Folded":
        """This table (and ``more``) inside a collapsible ``<details>`` block with ``summary`` as its label."""
        return Folded(summary, (self, *more))


class Folded:
    """Tables folded into an HTML ``<details>`` block: a long table stays out of the reader's way."""

    def __init__(self, summary: str, tables):
        self.summary = summary
        self.tables = tuple(tables)

    def _repr_markdown_(self):
        body = "\n\n".join(t._repr_markdown_() for t in self.tables)
        return f"<details><summary>{self.summary}</summary>\n\n{body}\n\n</details>"

    def __str__(self):
        return "\n\n".join([self.summary] + [str(t) for t in self.tables])

    __repr__ = __str__

