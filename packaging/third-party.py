#!/usr/bin/env python3
"""The licences of the Rust crates compiled into CardioPPG Review.

  python3 packaging/third-party.py                 rewrites packaging/third-party.tsv: every crate
      in Cargo.lock with its version, declared licence and repository (committed; Help -> About
      shows it; tests/packaging.rs fails when it no longer matches Cargo.lock).
  python3 packaging/third-party.py --texts FILE    also writes FILE: the licence and notice files
      each crate ships (LICENSE*, COPYING*, NOTICE*, font licences), identical texts given once
      with the crates that share them; for a crate that ships none, the standard text of its
      declared MIT or Apache-2.0 licence. packaging/build-deb.sh and the macOS/Windows bundles
      install it; it is generated, not committed (1.3 MB).

Needs the crates' sources in Cargo's registry (any earlier build fetched them)."""
import json
import pathlib
import re
import subprocess
import sys

root = pathlib.Path(__file__).resolve().parent.parent
meta = json.loads(subprocess.check_output(
    ["cargo", "metadata", "--format-version", "1", "--locked", "--offline"], cwd=root))
packages = sorted((p for p in meta["packages"] if p["source"] is not None), key=lambda p: (p["name"], p["version"]))

rows = [(p["name"], p["version"], p.get("license") or "(none declared; see its repository)", p.get("repository") or "")
        for p in packages]
with open(root / "packaging" / "third-party.tsv", "w", encoding="utf-8") as out:
    out.write("crate\tversion\tlicence\trepository\n")
    for row in rows:
        out.write("\t".join(field.replace("\t", " ").replace("\n", " ") for field in row) + "\n")
print(f"packaging/third-party.tsv: {len(rows)} crates")

if "--texts" not in sys.argv:
    sys.exit(0)
target = pathlib.Path(sys.argv[sys.argv.index("--texts") + 1])

NAME = re.compile(r"^(licen[cs]e|copying|notice|copyright|unlicense|ofl|ufl)([-_.].*)?$", re.I)
LICENCE_DIRS = ("fonts", "licenses", "LICENSES", "license")
MIT_TEMPLATE = """Permission is hereby granted, free of charge, to any person obtaining a copy of this software
and associated documentation files (the "Software"), to deal in the Software without restriction,
including without limitation the rights to use, copy, modify, merge, publish, distribute,
sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or
substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT
NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM,
DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT
OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
"""
APACHE = (root / "LICENSE-APACHE").read_text(encoding="utf-8")


def shipped(package):
    folder = pathlib.Path(package["manifest_path"]).parent
    files = [f for f in folder.iterdir() if f.is_file() and NAME.match(f.name)]
    for sub in LICENCE_DIRS:
        if (folder / sub).is_dir():
            files += [f for f in (folder / sub).iterdir() if f.is_file() and f.suffix in (".txt", ".md", "")]
    return sorted(files)


texts = {}  # text -> [crate version (file)]
fallback = []
for p in packages:
    label = f"{p['name']} {p['version']}"
    files = shipped(p)
    for f in files:
        texts.setdefault(f.read_text(encoding="utf-8", errors="replace"), []).append(f"{label} ({f.name})")
    if files:
        continue
    declared = p.get("license") or ""
    authors = ", ".join(p.get("authors") or []) or f"the {p['name']} authors"
    parts = []
    if "MIT" in declared:
        parts.append(("MIT", f"Copyright (c) {authors}\n\n{MIT_TEMPLATE}"))
    if "Apache-2.0" in declared:
        parts.append(("Apache-2.0", APACHE))
    if not parts:
        fallback.append(f"{label}: {declared or 'no licence declared'} ({p.get('repository') or 'no repository given'})")
    for spdx, text in parts:
        texts.setdefault(text, []).append(f"{label} (no licence file in the published crate; {spdx} as declared: {declared})")

with open(target, "w", encoding="utf-8") as out:
    out.write("Licences of the Rust crates compiled into CardioPPG Review\n")
    out.write("(written by packaging/third-party.py from the crates' published sources; each text is\n")
    out.write("given once, after the crates that ship it)\n\n")
    for text, users in sorted(texts.items(), key=lambda kv: kv[1][0]):
        out.write("=" * 100 + "\n")
        out.write("\n".join(users) + "\n")
        out.write("-" * 100 + "\n")
        out.write(text.rstrip() + "\n\n")
    if fallback:
        out.write("=" * 100 + "\nCrates that ship no licence file and declare a licence other than MIT or Apache-2.0:\n")
        out.write("\n".join(fallback) + "\n")
print(f"{target}: {len(texts)} distinct texts; {len(fallback)} crates listed by declared licence only")
