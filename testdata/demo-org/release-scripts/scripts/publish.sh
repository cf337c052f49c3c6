#!/usr/bin/env bash
# Build and upload the package to PyPI.
#
# Usage: TWINE_USERNAME=__token__ TWINE_PASSWORD=... ./scripts/publish.sh
set -euo pipefail

cd "$(dirname "$0")/.."

rm -rf dist/
python -m build

# Refuse to upload a dirty tree.
if ! git diff --quiet; then
    echo "working tree is dirty, refusing to publish" >&2
    exit 1
fi

python -m twine check dist/*
python -m twine upload --skip-existing dist/*
