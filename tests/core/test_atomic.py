"""Outputs appear whole or not at all."""

import pytest

from seasonal_vae.core.atomic import atomic_path


def test_success_renames_with_normal_permissions(tmp_path):
    target = tmp_path / "sub" / "out.nc"
    with atomic_path(target) as tmp:
        assert tmp.suffix == ".nc" and tmp.parent == target.parent
        tmp.write_text("data")
    assert target.read_text() == "data"
    assert target.stat().st_mode & 0o044  # readable by group/others under the usual umask
    assert list(target.parent.iterdir()) == [target]


def test_failure_leaves_nothing_and_keeps_the_old_file(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("interrupted")
    assert target.read_text() == "old"
    assert list(tmp_path.iterdir()) == [target]
