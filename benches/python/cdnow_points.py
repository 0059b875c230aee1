#!/usr/bin/env python3
"""The examples/cdnow-points campaign as a plain Python script: the baseline `perk simulate`
is compared against (PERFORMANCE.md). Same rules, same data, same totals:

- points: 1 point per whole dollar of the order total, times the tier multiplier held
  before the purchase (silver 125 %, gold 150 %), rounded down;
- punch card: every 5th purchase of a customer earns 50 points;
- tiers: silver from $200 and gold from $1,000 lifetime spend, reached with the purchase
  that crosses the line, never lost.

    python3 benches/python/cdnow_points.py examples/data/cdnow/CDNOW_master.txt

prints the totals as JSON (compare with `perk simulate examples/cdnow-points --cdnow ... --json`).
"""
import json
import sys


def main(path):
    rows = []
    with open(path) as f:
        next(f)  # header
        for line in f:
            parts = line.split()
            if not parts:
                continue
            dollars, cents = parts[3].split(".")
            rows.append((parts[1], parts[0], int(dollars) * 100 + int(cents)))
    rows.sort(key=lambda r: r[0])  # stable: same-day purchases keep file order
    customers = {}
    points = punch = revenue = 0
    multiplier = (100, 125, 150)
    for _, cid, total in rows:
        c = customers.get(cid)
        if c is None:
            c = customers[cid] = [0, 0, 0]  # spend, purchases, tier (0 none, 1 silver, 2 gold)
        points += (total // 100) * multiplier[c[2]] // 100
        c[1] += 1
        if c[1] % 5 == 0:
            punch += 50
        c[0] += total
        revenue += total
        if c[0] >= 100_000:
            c[2] = 2
        elif c[0] >= 20_000 and c[2] == 0:
            c[2] = 1
    tiers = {}
    for c in customers.values():
        if c[2]:
            name = ("silver", "gold")[c[2] - 1]
            tiers[name] = tiers.get(name, 0) + 1
    print(json.dumps({
        "purchases": len(rows),
        "customers": len(customers),
        "revenue": revenue,
        "points_awarded": points + punch,
        "per_policy": {"points": points, "punch-card": punch},
        "tiers": dict(sorted(tiers.items())),
    }))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "examples/data/cdnow/CDNOW_master.txt")
