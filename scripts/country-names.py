#!/usr/bin/env python3
"""Writes crates/hunar-core/src/country_names.tsv: every ISO 3166-1 country's name in the shop's and the
console's languages, from the Unicode CLDR (the npm package cldr-localenames-full, fetched
with npm from its registry). Dari is CLDR's fa-AF (Afghan Persian: "سویدن", not Iran's "سوئد").

    python3 scripts/country-names.py

Run it again to move to a newer CLDR (change VERSION); the file is committed, so neither the
build nor a fresh machine needs npm for it.
"""
import json
import pathlib
import re
import subprocess
import tarfile
import tempfile

VERSION = "48.2.0"
# Column order of the file: code, then these CLDR locales.
LOCALES = [("en", "English"), ("sv", "Swedish"), ("fa-AF", "Dari"), ("de", "German"),
           ("nb", "Norwegian Bokmål"), ("ps", "Pashto")]
# Where CLDR's everyday name is its short one ("Hong Kong", not "Hong Kong SAR China").
SHORT = {"HK", "MO", "PS"}

root = pathlib.Path(__file__).resolve().parent.parent
isocountry = next(pathlib.Path.home().glob(".cargo/registry/src/*/isocountry-0.3*/src/alpha2.rs"), None)
codes = sorted(set(re.findall(r'"([A-Z]{2})"', isocountry.read_text()))) if isocountry else None

with tempfile.TemporaryDirectory() as tmp:
    subprocess.run(["npm", "pack", f"cldr-localenames-full@{VERSION}", "--silent"], cwd=tmp,
                   check=True, stdout=subprocess.DEVNULL)
    with tarfile.open(next(pathlib.Path(tmp).glob("*.tgz"))) as tar:
        names = {}
        for locale, _ in LOCALES:
            member = tar.extractfile(f"package/main/{locale}/territories.json")
            names[locale] = json.load(member)["main"][locale]["localeDisplayNames"]["territories"]

if codes is None:
    codes = sorted(c for c in names["en"] if re.fullmatch(r"[A-Z]{2}", c) and c not in
                   {"EU", "EZ", "UN", "QO", "XA", "XB", "XK", "ZZ"})
lines = ["# code\t" + "\t".join(label for _, label in LOCALES)
         + f"\t(Unicode CLDR {VERSION}; written by scripts/country-names.py, not by hand)"]
for code in codes:
    row = [code]
    for locale, _ in LOCALES:
        table = names[locale]
        row.append(table.get(f"{code}-alt-short") if code in SHORT and f"{code}-alt-short" in table
                   else table.get(code, names["en"].get(code, code)))
    lines.append("\t".join(row))
(root / "crates/hunar-core/src/country_names.tsv").write_text("\n".join(lines) + "\n")
print(f"{len(codes)} countries, {len(LOCALES)} languages")
