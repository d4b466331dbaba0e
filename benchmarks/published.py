# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The generated pages of the benchmarks (docs/<name>.md from docs/<name>.json): written together and checked
together, so that a page is never typed (vrrp_compare.py, soak.py, scale.py)."""

import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def write(json_path, data, page_path, page):
    """The published JSON (sorted keys, one trailing newline) and its page."""
    os.makedirs(os.path.dirname(json_path), exist_ok=True)
    with open(json_path, 'w', encoding='utf-8') as fd:
        json.dump(data, fd, indent=1, sort_keys=True)
        fd.write('\n')
    with open(page_path, 'w', encoding='utf-8') as fd:
        fd.write(page)
    print('wrote %s, %s' % (os.path.relpath(json_path, ROOT), os.path.relpath(page_path, ROOT)))


def current(json_path, page_path, render, hint, missing_ok=False):
    """0 when the page is render(the published JSON), 1 (with `hint` printed) when it is not; with `missing_ok` also 0
    when neither file exists yet."""
    if missing_ok and not os.path.exists(json_path) and not os.path.exists(page_path):
        return 0
    with open(json_path, encoding='utf-8') as fd:
        want = render(json.load(fd))
    with open(page_path, encoding='utf-8') as fd:
        if fd.read() != want:
            print(hint)
            return 1
    return 0
