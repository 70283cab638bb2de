"""Tables for lab reports: one object renders as HTML in a notebook and as text in a terminal."""

import html


def _fmt(value):
    """A cell as text: floats to 4 significant digits, the rest as str."""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


class Table:
    """A titled table of rows; renders in notebooks (HTML) and terminals (aligned text)."""

    def __init__(self, title, columns, rows):
        self.title = title
        self.columns = list(columns)
        self.rows = [list(r) for r in rows]
        for r in self.rows:
            if len(r) != len(self.columns):
                raise ValueError(f"table {title!r}: row {r!r} has {len(r)} cells, expected {len(self.columns)}")

    def column(self, name):
        """The values of one column, by name."""
        i = self.columns.index(name)
        return [r[i] for r in self.rows]

    def as_dict(self):
        """First column -> second column, for two-column (key, value) tables."""
        return {r[0]: r[1] for r in self.rows}

    def __str__(self):
        cells = [self.columns] + [[_fmt(v) for v in r] for r in self.rows]
        widths = [max(len(row[i]) for row in cells) for i in range(len(self.columns))]
        line = lambda row: "  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip()
        rule = "  ".join("-" * w for w in widths)
        return "\n".join([self.title, line(cells[0]), rule] + [line(r) for r in cells[1:]])

    __repr__ = __str__

    def _repr_html_(self):
        head = "".join(f"<th style='text-align:left'>{html.escape(c)}</th>" for c in self.columns)
        body = "".join(
            "<tr>" + "".join(f"<td style='text-align:left'>{html.escape(_fmt(v))}</td>" for v in r) + "</tr>"
            for r in self.rows
        )
        return (f"<table><caption style='text-align:left'><b>{html.escape(self.title)}</b></caption>"
                f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
