#!/usr/bin/env bash
# CHANGELOG.md is antsibull-changelog's rendering of changelogs/: the released versions (changelog.yaml) and,
# until the next release, the fragments in changelogs/fragments/ as the release of galaxy.yml's version
# (rendered in a copy of the checkout: `antsibull-changelog release` there, CHANGELOG.md copied back, the heading
# marked "(unreleased)"; nothing under changelogs/ changes). The real release is `antsibull-changelog release`
# in the checkout, which moves the fragments into changelog.yaml.
#   render.sh           write CHANGELOG.md
#   render.sh --check   fail when CHANGELOG.md is not the rendering of changelogs/ (make changelog-lint)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
venv=${ECMP_CHANGELOG_VENV:-$root/.venv-changelog}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$root"
git ls-files -co --exclude-standard -z | rsync -a --from0 --files-from=- ./ "$tmp/"
version=$(sed -n 's/^version: *//p' galaxy.yml)
unreleased=$(find changelogs/fragments -name '*.y*ml' | head -1)
(
  cd "$tmp"
  # ansible-doc of the development virtualenv lists the collection's plugins ("New Modules")
  export PATH="$root/.venv/bin:$PATH"
  if [ -n "$unreleased" ]; then
    "$venv/bin/antsibull-changelog" release --version "$version" >/dev/null
    # the markdown heading escapes the dots: "## v0\.1\.0"
    sed -i "s|^## v${version//./\\\\.}\$|& (unreleased)|" CHANGELOG.md
  else
    "$venv/bin/antsibull-changelog" generate >/dev/null
  fi
)
if [ "${1:-}" = --check ]; then
  if ! diff -u CHANGELOG.md "$tmp/CHANGELOG.md" >"$tmp/diff"; then
    head -40 "$tmp/diff"
    echo "CHANGELOG.md is not the rendering of changelogs/: run make changelog" >&2
    exit 1
  fi
else
  cp "$tmp/CHANGELOG.md" CHANGELOG.md
fi
