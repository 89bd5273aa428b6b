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
        # a string would pass as a sequence of one-letter cells: refuse it where a list is meant
        if isinstance(headers, str) or not hasattr(headers, "__iter__"):
            raise TypeError(f"headers must be a list of column names, got {headers!r}")
        self.headers = [str(h) for h in headers]
        if not self.headers:
            raise ValueError("headers must name at least one column, got none")
        if isinstance(rows, str) or not hasattr(rows, "__iter__"):
            raise TypeError(f"rows must be a list of rows (lists of cells), got {rows!r}")
        self.rows = []
        for r in rows:
            if isinstance(r, str) or not hasattr(r, "__iter__"):
                raise TypeError(f"each row must be a list of {len(self.headers)} cells, got {r!r}")
            row = list(r)
            if len(row) != len(self.headers):
                raise ValueError(f"each row must have {len(self.headers)} cells, got {len(row)}: {row}")
            self.rows.append(row)
        if caption is not None and not isinstance(caption, str):
            raise TypeError(f"caption must be a string or None, got {caption!r}")
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

