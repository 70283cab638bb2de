"""Lab reports: tables that render in notebooks and terminals, and the report file a student hands in."""

import base64
import html
import os
from pathlib import Path


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


# --- the lab report a student hands in: environment, results tables, plots and written answers in one HTML file

FIGURES = []  # (title, base64 PNG) of every figure a notebook displayed since aisys.setup()
MAX_FIGURES = 60


def figure_title(fig):
    """A figure's title: its suptitle, else its first axes' title, else its number."""
    titles = [fig._suptitle.get_text()] if fig._suptitle else []
    titles += [ax.get_title() for ax in fig.axes]
    return next((t for t in titles if t), f"Figure {fig.number}")


def capture_figures():
    """Record every matplotlib figure the notebook displays (as PNG), so that save() can put it in the report."""
    try:
        from IPython import get_ipython
        from IPython.core.formatters import PNGFormatter
        from matplotlib.figure import Figure
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None:
        return False
    formatters = shell.display_formatter.formatters
    if getattr(formatters["image/png"], "records_figures", False):
        return True

    class Recording(PNGFormatter):
        """The PNG formatter, noting each figure it renders (the inline backend registers its printer on it later)."""

        records_figures = True

        def __call__(self, obj):
            data = super().__call__(obj)
            if data and isinstance(obj, Figure):
                text = data if isinstance(data, str) else base64.b64encode(data).decode()
                FIGURES.append((figure_title(obj), text))
                del FIGURES[:-MAX_FIGURES]
            return data

    old = formatters["image/png"]
    recording = Recording(parent=shell.display_formatter)
    recording.type_printers.update(old.type_printers)
    recording.deferred_printers.update(old.deferred_printers)
    formatters["image/png"] = recording
    return True


class Missing(Exception):
    """A part of the report that cannot be made yet; the message says what to run."""


def build(part):
    """The tables a report part makes, or Missing naming why not (a name not defined yet, an unanswered exercise)."""
    try:
        made = part()
    except NameError as e:
        raise Missing(f"{e}: run the section that makes it first") from None
    except NotImplementedError:
        raise Missing("an exercise it needs is not answered yet") from None
    except Exception as e:  # a half-finished lab: say what broke, keep the rest of the report
        raise Missing(f"{type(e).__name__}: {e}") from None
    return [made] if isinstance(made, Table) else list(made)


def answers_of(notebook):
    """(id, question, the student's text) of each written answer in a saved notebook."""
    from grader.notebook import answers, read, student_answer

    nb = read(notebook)
    asked = [(i, aid, nb.cells[i].metadata["aisys"].get("question", "")) for i, aid, _ in answers(nb)]
    return [(aid, q, student_answer(nb.cells[i], q)) for i, aid, q in asked]


def default_notebook():
    """The notebook this kernel serves, as JupyterLab tells the kernel (None outside Jupyter)."""
    name = os.environ.get("JPY_SESSION_NAME", "")
    found = [p for p in (name, os.path.basename(name)) if p.endswith(".ipynb") and os.path.exists(p)]
    return found[0] if found else None


def markdown_html(text):
    """A student's markdown rendered as HTML (emphasis, code, lists, tables), any raw HTML in it escaped."""
    import mistune
    return mistune.create_markdown(escape=True, plugins=["table", "strikethrough"])(text)


def render(title, env, tables, missing, figures, written, notebook):
    """The report as one self-contained HTML page."""
    parts = [f"<h1>{html.escape(title)}</h1>", "<h2>Environment</h2>", env._repr_html_(), "<h2>Results</h2>"]
    parts += [t._repr_html_() for t in tables]
    parts += [f"<p class='missing'>Missing: {html.escape(m)}</p>" for m in missing]
    parts.append("<h2>Plots</h2>")
    parts += [f"<figure><img src='data:image/png;base64,{data}' alt='{html.escape(t)}'>"
              f"<figcaption>{html.escape(t)}</figcaption></figure>" for t, data in figures]
    if not figures:
        parts.append("<p class='missing'>Missing: no plot was displayed in this kernel yet</p>")
    parts.append("<h2>Analysis (written answers)</h2>")
    if written is None:
        parts.append("<p class='missing'>Missing: the notebook was not found: save it and pass "
                     "<code>notebook='&lt;lab&gt;.ipynb'</code></p>")
    for aid, asked, said in written or []:
        body = markdown_html(said) if said else "<p class='missing'>not answered yet</p>"
        parts.append(f"<h3>{html.escape(aid)}</h3><blockquote>{markdown_html(asked)}</blockquote>{body}")
    style = ("body{font-family:sans-serif;max-width:60em;margin:2em auto}table{border-collapse:collapse;margin:1em 0}"
             "td,th{border:1px solid #ccc;padding:2px 8px}.missing{color:#b00}img{max-width:100%}")
    source = f"<p>Made from {html.escape(str(notebook))}.</p>" if notebook else ""
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{style}</style></head><body>{''.join(parts)}{source}</body></html>")


def save(path, parts, title=None, notebook=None, show=True):
    """Write the lab report (environment, results tables, plots, written answers) to one HTML file; return it.

    parts: zero-argument callables, each returning a Table or a list of Tables (lambdas, so that a part whose
    results do not exist yet is reported as missing instead of failing the cell). notebook: the lab's file, read
    for the written answers when JupyterLab does not name the open notebook itself (it does, even for a copy).
    """
    from aisys.envinfo import env_report

    path = Path(path)
    tables, missing = [], []
    for part in parts:
        try:
            tables += build(part)
        except Missing as e:
            missing.append(str(e))
    notebook = default_notebook() or notebook
    written = answers_of(notebook) if notebook and os.path.exists(notebook) else None
    env = env_report()
    page = render(title or path.stem, env, tables, missing, list(FIGURES), written, notebook)
    path.write_text(page, encoding="utf-8")
    if show:
        shown = [env, *tables]
        try:
            from IPython.display import display
        except ImportError:
            display = print
        for t in shown:
            display(t)
        for m in missing:
            print(f"missing: {m}")
        unanswered = sum(not said for _, _, said in written or [])
        said = "answers not included (notebook not found: pass notebook=)" if written is None else \
            f"{len(written) - unanswered}/{len(written)} written answers (as last saved)"
        print(f"report written to {path}: {len(tables)} tables, {len(FIGURES)} plots, {said}")
    return path
