# Copyright: (c) 2026, ecmp.lvs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Figures are generated, never typed: docs/results.md and the README's figures block are what
benchmarks/report.py makes of docs/results/*.json."""
from __future__ import absolute_import, division, print_function

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BENCH = os.path.join(ROOT, 'benchmarks')
if BENCH not in sys.path:
    sys.path.insert(0, BENCH)

import report  # noqa: E402  pylint: disable=wrong-import-position,import-error

SAMPLE = {
    'what': 'seconds from A to B',
    'title': 'Sample',
    'summary': {'a_to_b': {'median': 0.5, 'min': 0.25, 'max': 1.0, 'n': 5}, 'reset': {'true': 2, 'n': 5},
                'missing': None},
    'units': {'a_to_b': 's'},
    'labels': {'a_to_b': 'A to B'},
    'headline': ['a_to_b'],
}


def test_docs_are_generated_from_the_published_json():
    proc = subprocess.run([sys.executable, os.path.join(BENCH, 'report.py'), '--check'], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    assert proc.returncode == 0, 'run benchmarks/report.py --write:\n' + proc.stdout


def test_every_published_result_says_what_it_counts_and_has_several_runs():
    results = report.load()
    assert results, 'docs/results/ is empty'
    for name, data in results:
        assert data['what'] and data['summary'], name
        for metric, stats in data['summary'].items():
            assert stats is None or stats['n'] >= 3, (name, metric, 'a figure needs several runs')


def test_a_figure_is_the_median_with_min_max_and_runs():
    assert report.figure(SAMPLE, 'a_to_b') == '0.5 s (min 0.25 s, max 1 s; 5 runs)'
    assert report.figure(SAMPLE, 'reset') == 'yes in 2 of 5 runs'
    assert report.figure(SAMPLE, 'missing') == 'not measured'
    page = report.page([('sample', SAMPLE)])
    assert '| A to B | 0.5 s | 0.25 s | 1 s | 5 |' in page
    assert 'missing' not in page
    block = report.readme_block([('sample', SAMPLE)])
    assert block.startswith(report.BEGIN) and block.endswith(report.END)
    assert 'A to B: 0.5 s (min 0.25 s, max 1 s; 5 runs)' in block and 'reset' not in block


def test_a_changed_figure_makes_the_check_fail():
    """The README block is replaced whole: a figure typed into it by hand does not survive --write."""
    text = 'intro\n%s\n* typed by hand: 100 %%\n%s\nrest\n' % (report.BEGIN, report.END)
    new = report.render_readme(text, [('sample', SAMPLE)])
    assert 'typed by hand' not in new and new.startswith('intro\n') and new.endswith('\nrest\n')


def test_publish_refuses_what_is_not_a_result(tmp_path):
    bad = tmp_path / 'x.json'
    bad.write_text(json.dumps({'runs': []}))
    with pytest.raises(SystemExit):
        report.publish([str(bad)])


def test_measured_is_read_from_a_run_timestamp_only():
    """The date of a run comes from its timestamp (the results directory's name), nothing else."""
    assert report.measured('20261203-145849') == '2026-12-03 14:58'
    for other in ('runs5-v4', '', None, '20261203-1458'):
        assert report.measured(other) is None
