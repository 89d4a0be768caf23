"""``python -m desktop_app.feeds.demo``: write the sample replay file, or count a day's messages."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

import orjson

from desktop_app.feeds.demo.sample_replay import write_sample_replay
from desktop_app.feeds.demo.simulator import DemoMarket


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m desktop_app.feeds.demo")
    parser.add_argument("--write-sample", type=Path, metavar="FILE",
                        help="write the sample replay file (resources/sample_replay.jsonl)")
    parser.add_argument("--stats", action="store_true", help="simulate one day and print message counts")
    parser.add_argument("--seed", type=int, default=30)
    args = parser.parse_args(argv)
    if args.write_sample:
        n = write_sample_replay(args.write_sample)
        print(f"wrote {n} lines to {args.write_sample}")
    if args.stats:
        counts: dict[str, int] = {}
        for text in DemoMarket(seed=args.seed, start=date(2026, 3, 10)).envelopes():
            dt = orjson.loads(text)["DataType"]
            counts[dt] = counts.get(dt, 0) + 1
        print(orjson.dumps({"total": sum(counts.values()), **counts}).decode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
