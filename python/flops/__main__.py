"""python -m flops plot METRICS.jsonl [...] -o curves.png"""

import argparse
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m flops")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("plot", help="draw training curves from metrics files")
    p.add_argument("metrics", nargs="+", help="JSON-lines metrics files")
    p.add_argument("-o", "--output", required=True, help="the PNG to write")
    p.add_argument("--label", action="append",
                   help="a legend label per metrics file")
    args = parser.parse_args(argv)
    if args.command == "plot":
        from .plot import plot
        if args.label and len(args.label) != len(args.metrics):
            parser.error("give one --label per metrics file")
        try:
            plot(args.metrics, args.output, args.label)
        except (OSError, ValueError) as e:
            print("python -m flops plot: error: %s" % e, file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
