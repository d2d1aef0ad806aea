#!/usr/bin/env python3
"""Summarises interleaved benchmark rounds (bench/run.sh, bench/h2.sh) as a Markdown table.

Input: a TSV file of `round target req_per_s requests cpu_ticks` lines (cpu_ticks 0 when the
target has no process of its own, like `direct`). Output: per target the median req/s, the
range, the median CPU time per 10 000 requests and, when a `meshd` target was measured, the
median over rounds of meshd's req/s divided by the target's in the same round.

Usage: rounds.py FILE CLK_TCK DESCRIPTION
"""
import statistics
import sys


def main() -> None:
    path, hz, description = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    runs: dict[str, dict[int, tuple[int, int, int]]] = {}
    with open(path) as f:
        for line in f:
            fields = line.rstrip("\n").split("\t")
            if len(fields) != 5:
                continue
            r, target, rps, requests, ticks = fields
            runs.setdefault(target, {})[int(r)] = (int(rps or 0), int(requests or 0), int(ticks or 0))
    print(description)
    print()
    head = "| target | median req/s | min–max req/s | median CPU ms / 10k req |"
    rule = "|---|---:|---:|---:|"
    if "meshd" in runs:
        head += " meshd ÷ target, median of rounds (min–max) |"
        rule += "---:|"
    print(head)
    print(rule)
    for target, by_round in runs.items():
        rates = [v[0] for v in by_round.values()]
        cells = f"| {target} | {statistics.median(rates):.0f} | {min(rates)}–{max(rates)} |"
        cpus = [v[2] / hz * 1000 / v[1] * 10000 for v in by_round.values() if v[1] > 0 and v[2] > 0]
        cells += f" {statistics.median(cpus):.1f} |" if cpus else " — |"
        if "meshd" in runs:
            ratios = [runs["meshd"][r][0] / v[0] for r, v in by_round.items()
                      if r in runs["meshd"] and v[0] > 0]
            if target == "meshd" or not ratios:
                cells += " — |"
            else:
                cells += f" {statistics.median(ratios):.2f} ({min(ratios):.2f}–{max(ratios):.2f}) |"
        print(cells)


if __name__ == "__main__":
    main()
