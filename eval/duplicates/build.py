"""Builds the duplicate-detection evaluation set from the hand-written processes and the
LeiKa catalogue. Deterministic (fixed seed); run from the repository root:

    python3 eval/duplicates/build.py ../shared/data/leika/leika_leistungen.jsonl

Inputs: handwritten.jsonl (processes written twice, the way two clerks would, ids `x-a` /
`x-b`; plus processes of neighbouring services), related.jsonl (hand-labelled related pairs).
Outputs: processes.jsonl, pairs.jsonl (label duplicate / related / different), coverage.jsonl.
"""
import json, random, sys, collections, pathlib

here = pathlib.Path(__file__).parent
rng = random.Random(5)
hand = [json.loads(l) for l in open(here / "handwritten.jsonl", encoding="utf-8")]
related = [json.loads(l) for l in open(here / "related.jsonl", encoding="utf-8")]
leika = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]

processes = [dict(p, source="handwritten") for p in hand]
pairs = []
by_id = {p["id"]: p for p in hand}
for p in hand:
    if p["id"].endswith("-a") and p["id"][:-2] + "-b" in by_id:
        pairs.append({"a": p["id"], "b": p["id"][:-2] + "-b", "label": "duplicate", "source": "handwritten"})
labelled = {frozenset((r["a"], r["b"])) for r in related}
for r in related:
    pairs.append({"a": r["a"], "b": r["b"], "label": "related", "source": "handwritten"})
domains = lambda i: i.rsplit("-", 1)[0] if i.endswith(("-a", "-b")) else i
candidates = [(a["id"], b["id"]) for a in hand for b in hand
              if a["id"] < b["id"] and a["ozg"] != b["ozg"] and domains(a["id"]) != domains(b["id"])
              and frozenset((a["id"], b["id"])) not in labelled]
for a, b in rng.sample(candidates, 150):
    pairs.append({"a": a, "b": b, "label": "different", "source": "handwritten"})

# LeiKa: leaves of the same activity (first 11 key digits) differ only in a detail, e.g.
# "Bestattung Durchführung Erdbestattung" / "… Feuerbestattung": related, not duplicates.
services = [r for r in leika if (r["leika_key"] or "").isdigit() and len(r["leika_key"]) == 14]
activity = collections.defaultdict(list)
for r in services:
    if not r["leika_key"].endswith("000"):
        activity[r["leika_key"][:11]].append(r)
groups = [g for g in activity.values() if len(g) >= 2]
chosen = rng.sample(groups, 100)
used = {}
def item(r):
    pid = "leika:" + r["leika_key"]
    if pid not in used:
        laws = [r["law_shortcuts"]] if r["law_shortcuts"] else []
        used[pid] = {"id": pid, "ozg": r["ozg_id"], "title": r["name"].strip(), "summary": "", "roles": [],
                     "steps": [], "legal_basis": laws, "source": "leika"}
    return pid
for g in chosen:
    a, b = rng.sample(g, 2)
    pairs.append({"a": item(a), "b": item(b), "label": "related", "source": "leika-activity"})
for _ in range(150):
    a, b = rng.sample(services, 2)
    if a["leika_key"][:8] != b["leika_key"][:8]:
        pairs.append({"a": item(a), "b": item(b), "label": "different", "source": "leika-random"})
processes += sorted(used.values(), key=lambda p: p["id"])

with open(here / "processes.jsonl", "w", encoding="utf-8") as f:
    for p in processes:
        f.write(json.dumps(p, ensure_ascii=False) + "\n")
with open(here / "pairs.jsonl", "w", encoding="utf-8") as f:
    for p in pairs:
        f.write(json.dumps(p, ensure_ascii=False) + "\n")
with open(here / "coverage.jsonl", "w", encoding="utf-8") as f:
    for p in hand:
        f.write(json.dumps({"process": p["id"], "services": [p["ozg"]]}) + "\n")
print(len(processes), "processes,", collections.Counter(p["label"] for p in pairs), file=sys.stderr)
