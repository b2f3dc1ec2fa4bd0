#!/usr/bin/env python3
"""Writes packaging/third-party.tsv: every crate in Cargo.lock with its version, licence
(as its Cargo.toml declares it) and repository. Help -> About -> Licences shows it, the .deb ships
it, and tests/packaging.rs fails when it no longer matches Cargo.lock. Rerun after changing
dependencies:  python3 packaging/third-party.py"""
import json
import pathlib
import subprocess

root = pathlib.Path(__file__).resolve().parent.parent
meta = json.loads(subprocess.check_output(
    ["cargo", "metadata", "--format-version", "1", "--locked", "--offline"], cwd=root))
rows = sorted(
    (p["name"], p["version"], p.get("license") or "(none declared; see its repository)", p.get("repository") or "")
    for p in meta["packages"] if p["source"] is not None)
with open(root / "packaging" / "third-party.tsv", "w", encoding="utf-8") as out:
    out.write("crate\tversion\tlicence\trepository\n")
    for row in rows:
        out.write("\t".join(field.replace("\t", " ").replace("\n", " ") for field in row) + "\n")
print(f"{len(rows)} crates")
