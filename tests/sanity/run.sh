#!/usr/bin/env bash
# ansible-test sanity needs the collection at .../ansible_collections/ecmp/lvs: copy the tracked and
# non-ignored files there (a copy, not a link: ansible-test resolves paths) and run every sanity test
# that applies to a collection, each in ansible-test's own pinned virtualenv.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
# ECMP_SANITY_VENV: the virtualenv whose ansible-test runs (make core-matrix: one per supported ansible-core)
venv=${ECMP_SANITY_VENV:-$root/.venv-sanity}
work=${ECMP_SANITY_DIR:-/tmp/ecmp-lvs-sanity}
dest="$work/ansible_collections/ecmp/lvs"
rm -rf "$dest" && mkdir -p "$dest"
cd "$root"
# offline stand-in for the get-pip script ansible-test would download (see get_pip_offline.py)
pipv=$(grep -ho "pip='[0-9.]*'" "$venv"/lib/python3*/site-packages/ansible_test/_internal/python_requirements.py | head -1 | tr -dc '0-9.')
mkdir -p "$HOME/.ansible/test/cache"
cp tests/sanity/get_pip_offline.py "$HOME/.ansible/test/cache/get_pip_${pipv//./_}.py"
git ls-files -co --exclude-standard -z | rsync -a --from0 --files-from=- ./ "$dest/"
cd "$dest"
# a fresh git repo so ansible-test sees exactly these files
git init -q && git add -A && git -c user.email=ci@localhost -c user.name=ci commit -qm sanity
# a sanity test whose program is missing is skipped with a warning and the run still passes: fail instead
# (make deps installs every program the tests need; tests/unit/test_install_list.py maps them)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
"$venv/bin/ansible-test" sanity --python 3.11 --venv --requirements --color no "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
if grep -q 'Required program .* not found' "$log"; then
    echo "sanity: a test was skipped for a missing program (above); make deps installs it" >&2
    exit 1
fi
exit "$rc"
