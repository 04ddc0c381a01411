"""benchmarks/bench_quality.py: extra rows (--also), the README table (--markdown), bad options refused."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def bench(project_script):
    return project_script("benchmarks/bench_quality.py")


def test_also_rows_and_markdown_table(bench, capsys):
    bench.main(["--sets", "hard", "--quick", "--methods", "otsu", "--also", "s31=sauvola:window=31,k=0.3",
                "--markdown"])
    out = capsys.readouterr().out
    assert "s31 = sauvola with {'window': 31, 'k': 0.3}" in out  # numbers cast as binkit binarize --param does
    table = [line for line in out.splitlines() if line.startswith("| ")]
    assert table[0].split(" | ")[:3] == ["| method", "hard FM", "hard Fps"] and "hard border ink %" in table[0]
    assert sorted(line.split(" | ")[0] for line in table[1:]) == ["| `otsu`", "| `s31`"]
    # the markdown cells are the plain table's means
    plain = {line.split()[1]: line.split() for line in out.splitlines() if line.startswith("hard ")}
    for line in table[1:]:
        cells = [c.strip(" `|") for c in line.split(" | ")]
        assert cells[1] == plain[cells[0]][2]  # FM
        assert cells[-1] == plain[cells[0]][7]  # border ink %


@pytest.mark.parametrize("also, message", [
    ("bad", "expected LABEL=METHOD:KEY=VALUE"),
    ("x=nosuch", "unknown methods"),
    ("otsu=sauvola", "labels must differ"),
    ("x=sauvola:window", "is not KEY=VALUE"),
    ("x=sauvola:window=abc", "window must be"),
])
def test_bad_also_is_refused_in_one_line(bench, capsys, also, message):
    with pytest.raises(SystemExit) as exc:
        bench.main(["--sets", "hard", "--quick", "--methods", "otsu", "--also", also])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err
