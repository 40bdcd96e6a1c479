"""Export / import of weights: npz + JSON layout round-trips bit for bit; bad files fail."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from apmdm.checks.cli import main
from apmdm.constructions.efasp import compile_program
from apmdm.constructions.efasp.programs import EXAMPLES, random_canvas
from apmdm.machines.errors import MalformedModelFileError
from apmdm.machines.transformer import forward
from apmdm.machines.transformer.export import load_transformer, save_transformer


@pytest.mark.parametrize("name", ["reverse", "histogram", "dyck1"])
def test_round_trip_reproduces_outputs(tmp_path, name):
    model = compile_program(EXAMPLES[name][0](16), 16)
    path = tmp_path / "m.npz"
    layout = save_transformer(model.spec, str(path), str(tmp_path / "m.json"))
    assert json.loads((tmp_path / "m.json").read_text()) == layout
    loaded = load_transformer(str(path))
    rng = random.Random(0)
    for _ in range(5):
        fields = model.transformer.codec.encode_canvas(random_canvas(name, 12, 16, rng))
        a, b = forward(model.spec, fields), forward(loaded, fields)
        assert np.array_equal(a.num, b.num) and np.array_equal(a.den, b.den)
    assert loaded.dim_names == model.spec.dim_names
    with np.load(path, allow_pickle=False) as z:  # plain arrays only
        assert "layer0.head0.w_q" in z.files and "layout.json" in z.files


def test_malformed_files_are_rejected(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip file")
    with pytest.raises(MalformedModelFileError, match="bad.npz"):
        load_transformer(str(bad))
    model = compile_program(EXAMPLES["reverse"][0](8), 8)
    good = tmp_path / "good.npz"
    save_transformer(model.spec, str(good))
    with np.load(good, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    broken = dict(arrays)
    del broken["layer1.head0.w_k"]
    np.savez(tmp_path / "missing.npz", **broken)
    with pytest.raises(MalformedModelFileError, match="missing array 'layer1.head0.w_k'"):
        load_transformer(str(tmp_path / "missing.npz"))
    broken = dict(arrays)
    broken["layer1.head0.w_k"] = arrays["layer1.head0.w_k"] * 0.5  # not integers any more
    np.savez(tmp_path / "frac.npz", **broken)
    with pytest.raises(MalformedModelFileError, match="integers"):
        load_transformer(str(tmp_path / "frac.npz"))
    broken = dict(arrays)
    broken["layout.json"] = np.frombuffer(b"{oops", dtype=np.uint8)
    np.savez(tmp_path / "json.npz", **broken)
    with pytest.raises(MalformedModelFileError, match="not JSON"):
        load_transformer(str(tmp_path / "json.npz"))


def test_cli_export_and_explain(tmp_path, capsys):
    out = tmp_path / "rev.npz"
    assert main(["export-weights", "efasp:reverse", "--n", "8", "-o", str(out)]) == 0
    assert out.exists() and (tmp_path / "rev.json").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert main(["explain", "efasp", "--program", "reverse", "--n", "8"]) == 0
    text = capsys.readouterr().out
    assert "rightmost j with pos_j ==" in text and "residual layout" in text
    assert main(["export-weights", "efasp:reverse", "--n", "8", "-o",
                 str(tmp_path / "nodir" / "x.npz")]) == 2
    assert main(["explain", "efasp", "--program", "nope"]) == 2
