"""The feedback page of one graded submission: checks with their hints, and written answers beside model answers."""

import html

from aisys.report import markdown_html

STYLE = ("body{font-family:sans-serif;max-width:70em;margin:2em auto}table{border-collapse:collapse;width:100%}"
         "td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top;text-align:left}"
         ".pass{color:#070}.fail,.error,.timeout,.not-run{color:#b00}.unmarked{color:#b60}")


def text_html(text):
    """Plain or markdown text as escaped paragraphs."""
    return markdown_html(text or "") or "<p><i>no answer</i></p>"


def page(report, student):
    """The report as one self-contained HTML page for the instructor who marks it and the student who reads it."""
    e = html.escape
    rows = "".join(f"<tr><td>{e(c.id)}</td><td>{c.points:g} / {c.max_points:g}</td>"
                   f"<td class='{c.status.replace(' ', '-')}'>{e(c.status)}</td><td>{e(c.feedback)}</td></tr>"
                   for c in report.checks)
    parts = [f"<h1>{e(student)}: {e(report.lab or 'unrecognised notebook')}</h1>",
             f"<p>Checks: {report.score:g} / {report.max_score:g}. Written answers: {report.written_score:g} / "
             f"{report.written_max:g}" + (f", <span class='unmarked'>{len(report.unmarked)} not marked yet</span>"
                                          if report.unmarked else "") + f". Seed {report.seed}.</p>",
             "<h2>Checks</h2><table><tr><th>check</th><th>points</th><th>status</th><th>feedback</th></tr>"
             f"{rows}</table>"]
    if report.errors:
        parts.append("<h2>Problems</h2><ul>" + "".join(f"<li>{e(x)}</li>" for x in report.errors) + "</ul>")
    if report.answers:
        parts.append("<h2>Written answers</h2><table><tr><th>question</th><th>answer</th><th>model answer</th>"
                     "<th>points</th></tr>")
        for a in report.answers:
            mark = (f"<span class='unmarked'>not marked</span> / {a.max_points:g}" if a.points is None
                    else f"{a.points:g} / {a.max_points:g}")
            parts.append(f"<tr><td><b>{e(a.id)}</b>{text_html(a.question)}</td><td>{text_html(a.text)}</td>"
                         f"<td>{text_html(a.model_answer)}</td><td>{mark}</td></tr>")
        parts.append("</table>")
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{e(student)}</title><style>{STYLE}</style>"
            f"</head><body>{''.join(parts)}</body></html>")
