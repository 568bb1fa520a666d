"""The keyword search a reviewer could do by hand, as issue #20 describes it ("plain TF-IDF
cosine over words, a few lines of Python"), scored like blind_run.sh on any set directory:

    python3 eval/duplicates/keyword_baseline.py CALIBRATION_DIR DIR [DIR ...]

Words are lowercase letter runs; a process's text is every string of its JSON but ids,
step kinds, branch labels and `meta` (LeiKa keys left out: a keyword search reads text). Duplicates: every pair whose cosine reaches the
threshold. Gaps: a catalogue service is covered when its name's cosine to some process
reaches the gap threshold. Both thresholds are the ones with the best F1 on CALIBRATION_DIR
(the development corpus), then held fixed; each set's best threshold chosen after the fact
is printed beside it, as the keyword search's ceiling. Prints one JSON object per set."""
import json, math, pathlib, re, sys
from collections import Counter

WORD = re.compile(r"[a-zäöüß]+")
# Fields that hold ids, kinds and bookkeeping rather than words of the service.
STRUCTURE = {"id", "type", "role", "to", "condition", "meta"}


def strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)
    elif isinstance(value, dict):
        for k, v in value.items():
            if k not in STRUCTURE:
                yield from strings(v)


def words(text):
    return WORD.findall(text.lower())


def load(d):
    d = pathlib.Path(d)
    processes = {p.stem: " ".join(strings(json.loads(p.read_text(encoding="utf-8"))))
                 for p in sorted((d / "processes").glob("*.json"))}
    lines = lambda name: [json.loads(l) for l in open(d / name, encoding="utf-8") if l.strip()]
    return processes, lines("pairs.jsonl"), lines("catalog.jsonl"), lines("coverage.jsonl")


def vectors(texts, idf_texts):
    df = Counter(w for t in idf_texts for w in set(words(t)))
    n = len(idf_texts)
    out = []
    for t in texts:
        v = {w: c * (math.log((1 + n) / (1 + df[w])) + 1) for w, c in Counter(words(t)).items()}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        out.append({w: x / norm for w, x in v.items()})
    return out


def cosine(a, b):
    if len(a) > len(b):
        a, b = b, a
    return sum(x * b.get(w, 0.0) for w, x in a.items())


def scores(d):
    processes, pairs, catalog, coverage = load(d)
    ids = list(processes)
    names = [s["name"] for s in catalog]
    texts = [processes[i] for i in ids]
    pv = vectors(texts, texts + names)
    sv = vectors(names, texts + names)
    dup = [(cosine(pv[i], pv[j]), ids[i], ids[j]) for i in range(len(ids)) for j in range(i + 1, len(ids))]
    best = {s["name"]: max((cosine(v, p) for p in pv), default=0.0) for s, v in zip(catalog, sv)}
    return dup, {frozenset((p["a"], p["b"])): p["label"] for p in pairs}, best, coverage


def judge(data, t_dup, t_gap):
    dup, label, best, coverage = data
    found = {frozenset((a, b)) for s, a, b in dup if s >= t_dup}
    gold = {k for k, v in label.items() if v == "duplicate"}
    tp = len(found & gold)
    reported = [c for c in coverage if best[c["name"]] < t_gap]
    gold_gaps = [c for c in coverage if not c["covered_by"]]
    gap_tp = sum(1 for c in reported if not c["covered_by"])
    ratio = lambda a, b: round(a / b, 3) if b else 0.0
    return {
        "duplicates": {"precision": ratio(tp, len(found)), "recall": ratio(tp, len(gold)),
                       "suggested": len(found), "true_pairs": len(gold), "found": tp},
        "hard_negative_pairs_suggested": sum(1 for k in found if label.get(k) == "related"),
        "hard_negative_pairs": sum(1 for v in label.values() if v == "related"),
        "gaps": {"precision": ratio(gap_tp, len(reported)), "recall": ratio(gap_tp, len(gold_gaps)),
                 "reported": len(reported), "true_gaps": len(gold_gaps)},
    }


def f1(part):
    p, r = part["precision"], part["recall"]
    return 2 * p * r / (p + r) if p + r else 0.0


def best_thresholds(data):
    grid = [i / 200 for i in range(201)]
    t_dup = max(grid, key=lambda t: (f1(judge(data, t, 0.0)["duplicates"]), -t))
    t_gap = max(grid, key=lambda t: (f1(judge(data, 1.0, t)["gaps"]), -t))
    return t_dup, t_gap


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    calibration, *dirs = sys.argv[1:]
    t_dup, t_gap = best_thresholds(scores(calibration))
    for d in dirs:
        data = scores(d)
        after = best_thresholds(data)
        print(json.dumps({
            "set": d,
            "thresholds": {"duplicates": t_dup, "gaps": t_gap},
            "calibrated": judge(data, t_dup, t_gap),
            "best_after_the_fact": {"thresholds": {"duplicates": after[0], "gaps": after[1]},
                                    **judge(data, *after)},
        }, ensure_ascii=False))


if __name__ == "__main__":
    main()
