#!/usr/bin/env bash
# Peak resident memory of the `perk` binary with 25 policies loaded and warm: a campaign of
# 25 policies (4 standard modules, different configs) is loaded, each policy's instance is
# configured and checked, and one purchase is evaluated against all 25. The second run
# loads compiled code from the disk cache, as a restarted server does.
#   benches/rss/run.sh [path/to/perk]   (default: target/release/perk)
set -euo pipefail
cd "$(dirname "$0")/../.."
perk=${1:-target/release/perk}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
configs=(
  'module = "points"\n[policy.config]\nunit = 100\npoints_per_unit = 1\ntier_multipliers_pct = { silver = 125, gold = 150 }'
  'module = "punch-card"\n[policy.config]\nevery = 5\nbonus_points = 50\ngoal = "free coffee"\ncategory = "coffee"'
  'module = "cashback"\n[policy.config]\npercent = 1\nby_category = { coffee = 5, books = 3 }'
  'module = "tiers"\n[policy.config]\nlevels = [{ name = "silver", min_spend = 300000 }, { name = "gold", min_spend = 1000000 }]'
)
{
  printf '[campaign]\nname = "25 policies"\ncurrency = "RUB"\n'
  for i in $(seq 0 24); do printf "[[policy]]\nid = \"p$i\"\n${configs[$((i % 4))]}\n"; done
} > "$dir/perk.toml"
cat > "$dir/purchase.json" <<'JSON'
{"id": "order-1042", "customer_id": "anna", "total": 73000, "channel": "store",
 "items": [{"sku": "latte", "category": "coffee", "quantity": 1, "unit_price": 25000},
           {"sku": "croissant", "category": "pastry", "quantity": 2, "unit_price": 18000},
           {"sku": "novel", "category": "books", "quantity": 1, "unit_price": 12000}]}
JSON
for run in compile cached; do
  /usr/bin/time -f "$run: peak RSS %M KiB, %e s" "$perk" eval "$dir" --purchase "$dir/purchase.json" --cache-dir "$dir/cache" > "$dir/out.json"
done
grep -q '"failures": \[\]' "$dir/out.json" || { echo "the evaluation failed:" >&2; cat "$dir/out.json" >&2; exit 1; }
