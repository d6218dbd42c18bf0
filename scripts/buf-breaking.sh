#!/usr/bin/env bash
# buf breaking against the protos of the previous commit. The previous commit's proto/
# and buf.yaml are checked out into a scratch folder beside today's import-only protos
# (third_party/proto is not committed), built into an image, and compared.
set -euo pipefail
buf=${1:-bin/buf}
against=${BUF_BREAKING_AGAINST:-HEAD~1}
if ! git rev-parse -q --verify "$against^{commit}" >/dev/null; then
  echo "buf breaking: no $against to compare with; skipped"; exit 0
fi
if ! git cat-file -e "$against:proto" 2>/dev/null; then
  echo "buf breaking: $against has no protos; skipped"; exit 0
fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
git archive "$against" proto buf.yaml | tar -x -C "$tmp"
mkdir -p "$tmp/third_party" && cp -r third_party/proto "$tmp/third_party/"
"$buf" build "$tmp" -o "$tmp/prev.binpb"
"$buf" breaking proto --against "$tmp/prev.binpb#subdir=proto" 2>/dev/null || "$buf" breaking proto --against "$tmp/prev.binpb"
echo "buf breaking: no breaking change against $against"
