"""Command line: python -m aisys env | lab."""

import argparse
import sys


def main(argv=None):
    """Parse the command line and run one command."""
    p = argparse.ArgumentParser(prog="python -m aisys", description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("env", help="print the environment table of this machine")
    lab = sub.add_parser("lab", help="start JupyterLab on 127.0.0.1 with a token, opened on labs/")
    lab.add_argument("--port", type=int, default=8888)
    lab.add_argument("--no-browser", action="store_true")
    lab.add_argument("--root", default=None, help="folder JupyterLab serves (default: this repository)")
    args = p.parse_args(argv)
    if args.cmd == "env":
        from aisys.envinfo import env_report

        print(env_report())
        return 0
    from aisys.labserver import REPO, launch

    try:
        launch(args.port, open_browser=not args.no_browser, root=args.root or REPO)
    except OSError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
