"""The ``binkit`` command line (also ``python -m binkit``).

Bad input ends with exit code 2 and a one-line message naming the file; no traceback.
"""

from __future__ import annotations

import argparse
import sys

from ._errors import InputError

__all__ = ["main"]


def _fetch_dibco(args) -> int:
    from .datasets import fetch_dibco

    fetch_dibco(args.years, args.dest, force=args.force)
    return 0


def _synthetic(args) -> int:
    from .datasets.synthetic import write_synthetic_set

    write_synthetic_set(args.dest, seeds=range(args.count))
    print(f"wrote {args.count} synthetic pages to {args.dest}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(prog="binkit", description="Document image binarization kit.")
    parser.add_argument("--version", action="version", version=f"binkit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("fetch-dibco", help="download official DIBCO archives into binkit's layout")
    p.add_argument("years", nargs="+", type=int, metavar="YEAR")
    p.add_argument("--dest", required=True, help="root folder (then set BINKIT_DIBCO_ROOT to it)")
    p.add_argument("--force", action="store_true", help="download again even if the year is present")
    p.set_defaults(func=_fetch_dibco)

    p = sub.add_parser("synthetic", help="write synthetic degraded pages with ground truth")
    p.add_argument("--dest", required=True)
    p.add_argument("--count", type=int, default=8)
    p.set_defaults(func=_synthetic)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (InputError, FileNotFoundError) as exc:
        print(f"binkit: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("binkit: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
