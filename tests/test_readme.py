"""The front page as a new user reads it: every Python block of README.md runs
unchanged, in a fresh interpreter, and the page stays short."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


def test_the_front_page_is_short():
    assert len(README.read_text().splitlines()) <= 200


def test_the_front_page_keeps_its_command_markers():
    text = README.read_text()
    for marker in ("<!-- main-command -->", "<!-- test-command -->"):
        block = text.split(marker, 1)[1].lstrip()
        assert block.startswith("```bash\n"), marker


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_each_python_block_runs_as_written(tmp_path, index):
    script = tmp_path / f"block_{index}.py"
    script.write_text(BLOCKS[index])
    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]


def test_the_readme_has_python_blocks():
    assert BLOCKS
