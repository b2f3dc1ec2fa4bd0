#!/usr/bin/env bash
# Builds the Debian package: the crates' licence texts (generated, not committed), then cargo deb
# (a release build and the package in target/debian/). Extra arguments go to cargo deb, e.g.
# --no-build to package an existing target/release/cardioppg.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p target
python3 packaging/third-party.py --texts target/third-party-licenses.txt
cargo deb --locked "$@"
