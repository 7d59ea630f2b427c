"""Draws the main ratios of a `npm run bench:peers` result as a PNG.

    bench/.venv-peers/bin/python bench/peers/chart.py bench/results/peers-latest.json out.png

Reads the "chart" section the benchmark writes into its JSON (the ratios are computed there,
once): for each database, one group of bars per workload, one bar per peer, the height being
how many times better entrenar is (log scale; above the 1x line entrenar wins).
"""

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

COLORS = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd"]
NAMES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}


def label(ratio: float) -> str:
    return f"{ratio:.0f}x" if ratio >= 10 else f"{ratio:.1f}x"


def main(source: str, target: str) -> None:
    with open(source, encoding="utf-8") as handle:
        chart = json.load(handle)["chart"]
    workloads = chart["workloads"]
    databases = chart["databases"]
    figure, axes = plt.subplots(
        len(databases), 1, figsize=(12, 4.6 * len(databases)), squeeze=False
    )
    ratios = [
        r
        for db in databases
        for series in db["series"]
        for r in series["ratios"]
        if r is not None
    ]
    top = max(ratios + [10]) * 3
    bottom = min(ratios + [0.5]) / 3
    for axis, db in zip(axes[:, 0], databases):
        count = max(len(db["series"]), 1)
        width = 0.8 / count
        for index, series in enumerate(db["series"]):
            xs = [w + (index - (count - 1) / 2) * width for w in range(len(workloads))]
            # Bars grow from the 1x line: up where entrenar wins, down where it loses.
            heights = [r - 1 if r is not None else 0 for r in series["ratios"]]
            bars = axis.bar(
                xs,
                heights,
                width * 0.92,
                bottom=1,
                label=series["label"],
                color=COLORS[index % len(COLORS)],
            )
            for bar, ratio in zip(bars, series["ratios"]):
                x = bar.get_x() + bar.get_width() / 2
                if ratio is None:
                    axis.text(x, 1.05, "n/a", ha="center", va="bottom", fontsize=8)
                elif ratio >= 1:
                    axis.text(
                        x, ratio * 1.06, label(ratio), ha="center", va="bottom", fontsize=8
                    )
                else:
                    axis.text(
                        x, ratio / 1.06, label(ratio), ha="center", va="top", fontsize=8
                    )
        axis.axhline(1, color="black", linewidth=1)
        axis.set_yscale("log")
        axis.set_ylim(bottom, top)
        axis.set_xticks(range(len(workloads)))
        axis.set_xticklabels(workloads, fontsize=9)
        axis.set_ylabel("entrenar is N times better\n(below 1x: the peer is)")
        axis.set_title(NAMES.get(db["database"], db["database"]), fontsize=11)
        axis.grid(axis="y", which="major", alpha=0.3)
        axis.legend(loc="upper right", fontsize=9)
    figure.suptitle(chart["title"], fontsize=12)
    figure.tight_layout()
    figure.savefig(target, dpi=110)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: chart.py RESULT.json OUT.png")
    main(sys.argv[1], sys.argv[2])
