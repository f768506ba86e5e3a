"""Run the benchmarks and print their figures: `python -m bench [--quick] [--only NAME ...]`."""

import argparse

from bench import foundation, load, reputation, rollup, rollup_outage, search

BENCHMARKS = {
    "foundation": foundation.main,
    "search": search.main,
    "rollup": rollup.main,
    "rollup-outage": rollup_outage.main,
    "reputation": reputation.main,
    "load": load.main,
}

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes: a few minutes instead of ~15")
    parser.add_argument("--only", nargs="+", choices=sorted(BENCHMARKS), default=list(BENCHMARKS))
    args = parser.parse_args()
    for name in args.only:
        BENCHMARKS[name](quick=args.quick)
