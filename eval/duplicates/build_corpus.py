"""Builds the development corpus in the blind-set format (`corpus/`) from the hand-written
processes, deterministically. Run from the repository root:

    python3 eval/duplicates/build_corpus.py ../shared/data/leika/leika_leistungen.jsonl

Inputs: handwritten.jsonl and handwritten_more.jsonl (compact processes; `x-a` / `x-b` are the
same service written by two departments), related.jsonl plus the related pairs below (hard
negatives), and the LeiKa export (catalogue rows are copied verbatim).
Outputs under corpus/: processes/<id>.json (full process JSON; of each duplicate pair the `-a`
side terse, the `-b` side verbose), pairs.jsonl, catalog.jsonl, coverage.jsonl.
"""
import json, pathlib, shutil, sys

here = pathlib.Path(__file__).parent
out = here / "corpus"
hand = [json.loads(l) for f in ("handwritten.jsonl", "handwritten_more.jsonl")
        for l in open(here / f, encoding="utf-8") if l.strip()]
related = [json.loads(l) for l in open(here / "related.jsonl", encoding="utf-8")]
related += [{"a": a, "b": b} for a, b in [
    ("gewan-a", "gewum"), ("gewan-b", "gewum"), ("gewan-a", "gewab"), ("gewan-b", "gewab"), ("gewum", "gewab"),
    ("kfz-a", "kfz-ab"), ("kfz-b", "kfz-ab"), ("lkw-a", "fe-erst"), ("lkw-b", "fe-erst"),
    ("hund-befr", "hund-a"), ("hund-befr", "hund-b"), ("hund-befr", "hund-ab"),
    ("wohngeld-erh", "wohngeld-a"), ("wohngeld-erh", "wohngeld-b"), ("fz-erw", "fz-a"), ("fz-erw", "fz-b"),
    ("melderaus-a", "meldeb-a"), ("melderaus-b", "meldeb-b"), ("melderaus-a", "meldeb-b"), ("melderaus-b", "meldeb-a"),
]]
leika = {r["leika_key"]: r for r in map(json.loads, open(sys.argv[1], encoding="utf-8"))}
# catalogue rows: key -> (processes that cover it, near miss of)
catalog = {
    "99050012104000": (["gewan-a", "gewan-b"], None),
    "99050012071000": (["gewum"], None),
    "99050012070000": (["gewab"], None),
    "99008001012000": (["pa-a", "pa-b"], None),
    "99085001012000": (["pass"], None),
    "99059001104000": (["ehe-a", "ehe-b"], None),
    "99059002012000": (["ehefaehig"], None),
    "99042001012000": (["fisch-a", "fisch-b"], None),
    "99102013010000": (["hund-befr"], None),
    "99107023017001": (["wohngeld-a", "wohngeld-b"], None),
    "99107023017003": (["wohngeld-erh"], None),
    "99049001001002": (["fz-erw"], None),
    "99049001001001": (["fz-a", "fz-b"], None),
    "99093003001000": (["baum-a", "baum-b"], None),
    "99099002006000": (["einb-a", "einb-b"], None),
    "99102012002000": (["grundst-a", "grundst-b"], None),
    "99001009004002": (["sperr-a", "sperr-b"], None),
    "99023002020003": (["lkw-a", "lkw-b"], None),
    "99108001001000": (["park-a", "park-b"], None),
    "99101004012000": (["sterbeurk"], None),
    "99115004001000": (["melderaus-a", "melderaus-b"], None),
    "99073001022000": (["austritt-a", "austritt-b"], None),
    "99107022012000": (["wbs-a", "wbs-b"], None),
    "99025002005000": (["gast-a", "gast-b"], None),
    "99015007012001": (["sbh-a", "sbh-b"], None),
    "99041004034000": (["kita-a", "kita-b"], None),
    "99036008007002": (["kfz-a", "kfz-b"], None),
    "99036008070000": (["kfz-ab"], None),
    "99077020040000": (["biblio"], None),
    # near misses: a sibling of a covered service
    "99108001020000": ([], "99108001001000"),
    "99015007011000": ([], "99015007012001"),
    "99089086222000": ([], None),
    "99059001044000": ([], "99059001104000"),
    "99027002012000": ([], None),
    "99107023017002": ([], "99107023017001"),
    "99036008071000": ([], "99036008007002"),
    "99077020063000": ([], "99077020040000"),
    # unrelated services nobody documented
    "99067004001000": ([], None),
    "99018099000000": ([], None),
    "99027001022000": ([], None),
    "99111011017000": ([], None),
}


def full(p, verbose):
    """A valid process from the compact form; the verbose side gets trigger, outcome,
    descriptions, documents and systems as a thorough department would write them."""
    roles = [{"id": f"r{i}", "name": n} for i, n in enumerate(p["roles"] or ["Sachbearbeitung"])]
    steps = [{"id": "start", "type": "start", "name": "Antrag geht ein", "next": [{"to": "s0"}]}]
    for i, name in enumerate(p["steps"]):
        step = {"id": f"s{i}", "type": "task", "name": name, "role": roles[i % len(roles)]["id"],
                "next": [{"to": f"s{i + 1}" if i + 1 < len(p["steps"]) else "end"}]}
        if verbose:
            step["description"] = f"{name}; das Ergebnis wird in der elektronischen Akte vermerkt."
        steps.append(step)
    steps.append({"id": "end", "type": "end", "name": "Vorgang abgeschlossen"})
    process = {"title": p["title"], "summary": p["summary"], "roles": roles, "steps": steps,
               "legal_basis": p["legal_basis"]}
    if verbose:
        process["trigger"] = "Ein Antrag oder eine Anzeige geht schriftlich, online oder persönlich ein."
        process["outcome"] = "Die antragstellende Person erhält einen Bescheid oder eine Bestätigung."
        process["documents"] = ["Antrag", "Bescheid"]
        process["systems"] = ["Fachverfahren", "E-Akte"]
    if p.get("leika"):
        process["meta"] = {"leika_key": p["leika"]}
    return process


if out.exists():
    shutil.rmtree(out)
(out / "processes").mkdir(parents=True)
ids = {p["id"] for p in hand}
for p in hand:
    verbose = p["id"].endswith("-b")
    with open(out / "processes" / f"{p['id']}.json", "w", encoding="utf-8") as f:
        json.dump(full(p, verbose), f, ensure_ascii=False, indent=1)
with open(out / "pairs.jsonl", "w", encoding="utf-8") as f:
    for p in hand:
        if p["id"].endswith("-a") and p["id"][:-2] + "-b" in ids:
            f.write(json.dumps({"a": p["id"], "b": p["id"][:-2] + "-b", "label": "duplicate"}) + "\n")
    for r in related:
        assert r["a"] in ids and r["b"] in ids, r
        f.write(json.dumps({"a": r["a"], "b": r["b"], "label": "related"}) + "\n")
with open(out / "catalog.jsonl", "w", encoding="utf-8") as f, open(out / "coverage.jsonl", "w", encoding="utf-8") as g:
    for key, (covered, near) in catalog.items():
        row = leika[key]
        f.write(json.dumps(row, ensure_ascii=False) + "\n")
        label = {"leika_key": key, "name": row["name"], "covered_by": covered}
        if near:
            label["near_miss_of"] = near
        g.write(json.dumps(label, ensure_ascii=False) + "\n")
        assert all(c in ids for c in covered), covered
print(len(hand), "processes,", len(related), "related pairs,", len(catalog), "catalogue rows", file=sys.stderr)
