"""Training helpers that a resumed run relies on."""

import pytest

pytest.importorskip("keras")

from seasonal_vae.train import _best_val_loss  # noqa: E402


def test_best_val_loss_of_a_partial_history(tmp_path):
    csv = tmp_path / "history.csv"
    csv.write_text("epoch,kl,loss,val_loss\n0,0.1,1.0,0.9\n1,0.1,0.8,0.7\n2,0.1,0.7,0.75\n")
    assert _best_val_loss(csv) == pytest.approx(0.7)
    assert _best_val_loss(tmp_path / "missing.csv") is None
    (tmp_path / "empty.csv").write_text("epoch,loss,val_loss\n")
    assert _best_val_loss(tmp_path / "empty.csv") is None
