"""Scores one blind_run.sh run: score_run.py DIR OUT [duplicates_s gaps_s]. Prints a JSON
summary on stdout, the mistakes on stderr."""
import json, pathlib, sys

corpus, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
ids = dict(line.rstrip("\n").split("\t") for line in open(out / "ids.tsv", encoding="utf-8"))
name = {v: k for k, v in ids.items()}
pairs = [json.loads(l) for l in open(corpus / "pairs.jsonl", encoding="utf-8") if l.strip()]
label = {frozenset((p["a"], p["b"])): p["label"] for p in pairs}
gold = {k for k, v in label.items() if v == "duplicate"}
suggested = [(name[c["a"]], name[c["b"]], c) for c in json.load(open(out / "duplicates.json", encoding="utf-8"))]
found = {frozenset((a, b)) for a, b, _ in suggested}
tp = len(found & gold)
hard = [(a, b) for a, b, _ in suggested if label.get(frozenset((a, b))) == "related"]
for a, b, c in suggested:
    kind = label.get(frozenset((a, b)), "different")
    if kind != "duplicate":
        print(f"false positive ({kind}): {a} / {b}  score {c['score']}", file=sys.stderr)
for pair in sorted(gold - found, key=sorted):
    print("missed duplicate:", " / ".join(sorted(pair)), file=sys.stderr)

coverage = [json.loads(l) for l in open(corpus / "coverage.jsonl", encoding="utf-8") if l.strip()]
report = json.load(open(out / "gaps.json", encoding="utf-8"))
missing = {(s["key"], s["name"]) for t in report["topics"] for s in t["missing"]}
reported = [c for c in coverage if (c["leika_key"], c["name"]) in missing]
gold_gaps = [c for c in coverage if not c["covered_by"]]
gap_tp = sum(1 for c in reported if not c["covered_by"])
for c in coverage:
    is_gap = (c["leika_key"], c["name"]) in missing
    if is_gap and c["covered_by"]:
        print(f"reported as gap but covered by {c['covered_by']}: {c['name']}", file=sys.stderr)
    if not is_gap and not c["covered_by"]:
        by = next((x for x in report["covered_services"] if x["service"]["name"] == c["name"]), None)
        via = f"{name.get(by['process'], by['process'])} {by['evidence']}" if by else "?"
        print(f"reported as covered but a gap: {c['name']} (by {via})", file=sys.stderr)
ratio = lambda a, b: round(a / b, 3) if b else 0.0
summary = {
    "processes": len(ids),
    "duplicates": {"precision": ratio(tp, len(found)), "recall": ratio(tp, len(gold)), "suggested": len(found),
                   "true_pairs": len(gold), "found": tp},
    "hard_negative_pairs_suggested": len(hard),
    "hard_negative_pairs": sum(1 for v in label.values() if v == "related"),
    "gaps": {"precision": ratio(gap_tp, len(reported)), "recall": ratio(gap_tp, len(gold_gaps)),
             "reported": len(reported), "true_gaps": len(gold_gaps)},
}
if len(sys.argv) > 4:
    summary["seconds"] = {"duplicates": float(sys.argv[3]), "gaps": float(sys.argv[4])}
print(json.dumps(summary, indent=1))
