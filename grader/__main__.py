"""Command line: python -m grader check | grade | batch | release | execute."""

import argparse
import sys
from pathlib import Path

from grader.notebook import NotebookError
from grader.sandbox import MAX_PROCESSES, NO_SANDBOX, SandboxUnavailable


def main(argv=None):
    """Parse the command line and run one command; exit 2 on unusable input."""
    p = argparse.ArgumentParser(prog="python -m grader", description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)

    def grading_options(s, sandbox="bwrap"):
        s.add_argument("--sandbox", choices=["bwrap", "none"], default=sandbox,
                       help=f"run the notebook in a bubblewrap sandbox, or not (default {sandbox})")
        s.add_argument("--max-processes", type=int, default=MAX_PROCESSES,
                       help=f"processes and threads the notebook may have at once, in the sandbox (default {MAX_PROCESSES})")
        s.add_argument("--timeout", type=float, default=60, help="seconds each cell may run (default 60)")
        s.add_argument("--seed", type=int, default=0, help="seed of the checks' hidden inputs (default 0)")
        s.add_argument("--lab", default=None, help="the lab, when the notebook does not say (e.g. ch01_end_to_end, or ch01)")
        s.add_argument("--solutions", default=None, help="folder of solution notebooks (default: solutions/)")
        s.add_argument("--memory-gb", type=float, default=8.0, help="data-memory limit (RLIMIT_DATA) of the kernel in GiB (default 8)")

    c = sub.add_parser("check", help="grade your own notebook and print what each check says")
    c.add_argument("notebook")
    grading_options(c, sandbox="none")  # a student's own code on their own machine
    g = sub.add_parser("grade", help="grade one submission, as the instructor does")
    g.add_argument("notebook")
    g.add_argument("--json", default=None, help="write the JSON report here")
    g.add_argument("--feedback", default=None, help="write the feedback page (HTML) here")
    g.add_argument("--marks", default=None, help="CSV of written-answer marks: student,answer,points "
                                                  "(the student is the notebook's file name without .ipynb)")
    grading_options(g)
    b = sub.add_parser("batch", help="grade every notebook in a folder into a CSV gradebook")
    b.add_argument("folder")
    b.add_argument("--out", required=True, help="the CSV to write; JSON reports go beside it")
    b.add_argument("--jobs", type=int, default=1)
    b.add_argument("--require-full", action="store_true", help="exit 1 unless every notebook scores full marks")
    b.add_argument("--marks", default=None, help="CSV of written-answer marks: student,answer,points")
    grading_options(b)
    r = sub.add_parser("release", help="write student notebooks (labs/) from solutions/")
    r.add_argument("src", nargs="?", default="solutions")
    r.add_argument("dst", nargs="?", default="labs")
    r.add_argument("--check", action="store_true", help="write nothing; exit 1 when labs/ is stale")
    e = sub.add_parser("execute", help="run solution notebooks and store their check outputs")
    e.add_argument("notebooks", nargs="+")
    args = p.parse_args(argv)
    try:
        return COMMANDS[args.cmd](args)
    except (NotebookError, SandboxUnavailable) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


def options(args):
    """Keyword arguments of grade() from the shared command-line options."""
    from grader.grade import SOLUTIONS

    if args.sandbox == "none" and args.cmd != "check":
        print(f"warning: {NO_SANDBOX}", file=sys.stderr)
    return dict(lab=args.lab, seed=args.seed, cell_timeout=args.timeout, memory_gib=args.memory_gb,
                solutions_dir=Path(args.solutions) if args.solutions else SOLUTIONS, sandbox=args.sandbox,
                max_processes=args.max_processes)


def print_report(report):
    """The report as a table a student can read."""
    from aisys.report import Table

    rows = [(c.id, f"{c.points:g} / {c.max_points:g}", c.status, c.feedback) for c in report.checks]
    print(Table(f"{report.lab}: {report.score:g} / {report.max_score:g} points", ["check", "points", "status", "feedback"], rows))
    for err in report.errors:
        print(f"note: {err}")
    if report.environment:
        env = report.environment
        print(f"ran on: {env.get('device')} ({env.get('GPU')}), torch {env.get('torch')}, triton {env.get('triton')}")
    if report.answers:
        blank = [a.id for a in report.answers if not a.text]
        print(f"written answers: {len(report.answers) - len(blank)} of {len(report.answers)} answered, worth "
              f"{report.written_max:g} points, marked by your instructor" + (f"; not answered: {', '.join(blank)}" if blank else ""))


def check_cmd(args):
    """Grade a student's own notebook and print the table."""
    from grader.grade import grade

    print_report(grade(args.notebook, **options(args)))
    return 0


def grade_cmd(args):
    """Grade one submission; write or print its JSON report."""
    from grader.feedback import page
    from grader.grade import grade, load_solutions
    from grader.marks import apply_marks, read_marks
    from grader.notebook import write_atomic

    opts = options(args)
    student = Path(args.notebook).stem
    marks = read_marks(args.marks, {student}, load_solutions(opts["solutions_dir"])) if args.marks else {}
    report = apply_marks(grade(args.notebook, **opts), student, marks)
    if args.feedback:
        write_atomic(args.feedback, page(report, student))
    if args.json:
        write_atomic(args.json, report.to_json())
    else:
        print(report.to_json())
    return 0


def batch_cmd(args):
    """Grade a folder into a CSV; with --require-full, fail unless every row has full marks."""
    from grader.batch import batch

    opts = options(args)
    if opts.pop("lab") is not None:
        print("note: --lab is ignored by batch: each notebook's lab is recognised on its own", file=sys.stderr)
    reports = batch(args.folder, args.out, jobs=args.jobs, marks=args.marks, **opts)
    for r in reports:
        print(f"{Path(r.submission).stem}: {r.lab or '-'} {r.score:g} / {r.max_score:g}" + (f"  ({'; '.join(r.errors)})" if r.errors else ""))
    unmarked = sum(len(r.unmarked) for r in reports)
    print(f"wrote {args.out} ({len(reports)} rows) and a JSON report and feedback page per student beside it"
          + (f"; {unmarked} written answers not marked yet (--marks)" if unmarked else ""))
    if args.require_full and any(r.errors or r.score < r.max_score or r.max_score == 0 for r in reports):
        return 1
    return 0


def release_cmd(args):
    """Write or check the student copies."""
    from grader.release import release, stale

    if args.check:
        bad = stale(args.src, args.dst)
        if bad:
            print(f"{args.dst}/ is stale: " + ", ".join(str(p) for p in bad)
                  + f" differ from what {args.src}/ generates. Run 'make labs' and commit the result.", file=sys.stderr)
            return 1
        print(f"{args.dst}/ is up to date with {args.src}/")
        return 0
    written, removed = release(args.src, args.dst)
    for path in written:
        print(f"wrote {path}")
    for path in removed:
        print(f"removed {path} (no solution notebook of that name)")
    if not written and not removed:
        print(f"{args.dst}/ was already up to date")
    return 0


def execute_cmd(args):
    """Run each solution and report checks that did not pass."""
    from grader.solution_run import refresh

    status = 0
    for nb in args.notebooks:
        failed = refresh(nb)
        print(f"{nb}: {'all checks pass' if not failed else 'FAILING CHECKS:'}")
        for text in failed:
            print(text.rstrip())
            status = 1
    return status


COMMANDS = {"check": check_cmd, "grade": grade_cmd, "batch": batch_cmd, "release": release_cmd, "execute": execute_cmd}

if __name__ == "__main__":
    sys.exit(main())
