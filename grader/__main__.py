"""Command line: python -m grader release|execute ..."""

import argparse
import sys

from grader.notebook import NotebookError


def main(argv=None):
    """Parse the command line and run one command; exit 2 on unusable input."""
    p = argparse.ArgumentParser(prog="python -m grader", description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("release", help="write student notebooks (labs/) from solutions/")
    r.add_argument("src", nargs="?", default="solutions")
    r.add_argument("dst", nargs="?", default="labs")
    r.add_argument("--check", action="store_true", help="write nothing; exit 1 when labs/ is stale")
    e = sub.add_parser("execute", help="run solution notebooks and store their check outputs")
    e.add_argument("notebooks", nargs="+")
    args = p.parse_args(argv)
    try:
        if args.cmd == "release":
            return release_cmd(args)
        return execute_cmd(args)
    except NotebookError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


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
    from grader.execute import refresh

    status = 0
    for nb in args.notebooks:
        failed = refresh(nb)
        print(f"{nb}: {'all checks pass' if not failed else 'FAILING CHECKS:'}")
        for text in failed:
            print(text.rstrip())
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
