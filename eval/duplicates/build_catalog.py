"""Builds ablauf's default service catalogue (src/similarity/default_catalog.jsonl) from the
LeiKa/OZG extract in ../shared/data/leika (MIT, github kdn-nrw/OZG-Datenbank-NRW d6dafea5):
one line per OZG service with its topic, life situation and the LeiKa keys it groups.

    python3 eval/duplicates/build_catalog.py ../shared/data/leika
"""
import json, sys, pathlib, collections

src = pathlib.Path(sys.argv[1])
out = pathlib.Path(__file__).resolve().parents[2] / "src" / "similarity" / "default_catalog.jsonl"
keys = collections.defaultdict(list)
for line in open(src / "leika_leistungen.jsonl", encoding="utf-8"):
    r = json.loads(line)
    k = r["leika_key"] or ""
    if r["ozg_id"] and k.isdigit() and len(k) == 14:
        keys[r["ozg_id"]].append(k)
with open(out, "w", encoding="utf-8") as f:
    for line in open(src / "ozg_leistungen.jsonl", encoding="utf-8"):
        r = json.loads(line)
        if r["hidden"]:
            continue
        entry = {"key": r["ozg_id"], "name": r["name"].strip(), "topic": (r["themenfeld"] or "").strip(),
                 "area": (r["lebenslage"] or "").strip(), "leika_keys": sorted(keys.get(r["ozg_id"], []))}
        f.write(json.dumps(entry, ensure_ascii=False) + "\n")
