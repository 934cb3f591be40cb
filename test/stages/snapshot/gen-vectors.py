#!/usr/bin/env python3
"""Regenerate test/stages/snapshot/vectors.json from the Python Sera runtime.

Each vector feeds chosen inputs through the same steps as the reference
converter's runtime-snapshot block (sera_transfer.convert: SeraConfig(), the
dataclasses.replace chain, Sera(config).snapshot(), error capture, determinism
attached), then stores the result after the state file's JSON transform
(sera_common.encode_snapshot_blob + str() keys), keys in Python's insertion
order (not sorted) so the tests check that order too. The corpus only
exercises capacity 512, hub_window 8 and three error messages; these vectors
cover the other input-dependent leaves and the order of the runtime's checks.

Usage (needs numpy; the host python3 3.11 is fine):
    python3 test/stages/snapshot/gen-vectors.py [/work/ref] > test/stages/snapshot/vectors.json

The corpus follows CPython 3.12+, whose float sum() is compensated; 3.11's is
not, which changes TreeSearchState's normalised priors by an ulp. The runtime
module is therefore loaded with a 3.12-style sum() in its globals.
"""
import builtins
import dataclasses
import importlib.util
import json
import math
import sys
from pathlib import Path

REF = Path(sys.argv[1] if len(sys.argv) > 1 else "/work/ref")
INFERENCE = REF / "src" / "gpt_oss" / "inference"


def sum312(iterable, start=0):
    """CPython 3.12 builtin sum() of floats: Neumaier-compensated (other inputs: builtins.sum)."""
    items = list(iterable)
    if start != 0 or not items or not all(type(x) is float for x in items):
        return builtins.sum(items, start)
    f, c = 0.0, 0.0
    for x in items:
        t = f + x
        if abs(f) >= abs(x):
            c += (f - t) + x
        else:
            c += (x - t) + f
        f = t
    if c and math.isfinite(c):
        f += c
    return f


def load(name, path, extra=None):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    if extra:
        module.__dict__.update(extra)
    spec.loader.exec_module(module)
    return module


common = load("_sera_common", INFERENCE / "sera_common.py")
runtime = load("_sera_runtime", INFERENCE / "sera.py", {"sum": sum312})


def json_value(value):
    encoded = common.encode_snapshot_blob(value)
    if isinstance(encoded, dict):
        return {(k if isinstance(k, str) else str(k)): json_value(v) for k, v in encoded.items()}
    if isinstance(encoded, list):
        return [json_value(v) for v in encoded]
    return encoded


def runtime_snapshot(inp, determinism):
    """The converter's block, with its inputs spelled out."""
    Sera, SeraConfig = runtime.Sera, runtime.SeraConfig
    error = None
    base_config = SeraConfig()
    try:
        pieces = inp["pieces"] or []
        tokenizer_vocab = {piece: token for piece, token in pieces}
        max_piece_length = inp["max_piece_length"]
        if max_piece_length is None:
            max_piece_length = base_config.tokenizer.max_piece_length
        tokenizer_config = dataclasses.replace(
            base_config.tokenizer, vocabulary=tokenizer_vocab, max_piece_length=max_piece_length
        )
        whitening_sig2 = inp["whitening_sig2"] or [1.0]
        beta_floor = max(1e-3, min(float(v) for v in whitening_sig2))
        value_dim = inp["value_dim"] or inp["d_model"]
        attention_config = dataclasses.replace(
            base_config.attention,
            dim=inp["d_model"],
            value_dim=value_dim,
            features=inp["features"],
            tau=inp["tau"],
            beta_floor=beta_floor,
        )
        linear_config = dataclasses.replace(
            base_config.linear, capacity=max(inp["linear_key_count"], base_config.linear.capacity)
        )
        bridge_config = dataclasses.replace(
            base_config.bridge, hub_window=max(base_config.bridge.hub_window, inp["bridge_legs"] * 4)
        )
        sera_config = dataclasses.replace(
            base_config,
            tokenizer=tokenizer_config,
            attention=attention_config,
            linear=linear_config,
            bridge=bridge_config,
        )
        snapshot = Sera(sera_config).snapshot()
    except Exception as exc:
        error = {"type": exc.__class__.__name__, "message": str(exc)}
        snapshot = {"status": "error", "error": error}
    snapshot.setdefault("metadata", {})["determinism"] = determinism
    return snapshot, error


def case(name, pieces=((b"a", 0), (b"bc", 1), (b"bd", 2)), max_piece_length=2, d_model=8, value_dim=0,
         features=3, tau=1.0, whitening_sig2=(0.5, 0.25), linear_key_count=32, bridge_legs=2):
    return name, {
        "pieces": None if pieces is None else [(bytes(p), i) for p, i in pieces],
        "max_piece_length": max_piece_length,
        "d_model": d_model,
        "value_dim": value_dim,
        "features": features,
        "tau": tau,
        "whitening_sig2": list(whitening_sig2),
        "linear_key_count": linear_key_count,
        "bridge_legs": bridge_legs,
    }


CASES = [
    case("toy_success", pieces=((b"a", 0), (b"bc", 1), (b"bd", 2), (b"\xff\x00e", 3)), max_piece_length=3,
         d_model=8, value_dim=0, features=3, tau=0.5, whitening_sig2=(0.2, 0.0005, 0.3), linear_key_count=700,
         bridge_legs=0),
    case("no_tokenizer_default_vocab", pieces=None, max_piece_length=None, d_model=4, value_dim=6, features=4,
         tau=2.0, whitening_sig2=(), linear_key_count=1025, bridge_legs=2),
    case("empty_pieces_default_vocab", pieces=(), max_piece_length=4),
    case("odd_capacity_and_legs3", linear_key_count=513, bridge_legs=3),
    case("large_capacity", linear_key_count=1537, d_model=64, features=16, value_dim=64, tau=0.125),
    case("nan_first_sig2_nan_tau", whitening_sig2=(float("nan"), 0.5), tau=float("nan")),
    case("nan_later_sig2", whitening_sig2=(0.5, float("nan"), 0.25)),
    case("inf_sig2_inf_tau", whitening_sig2=(float("inf"),), tau=float("inf")),
    case("negative_zero_sig2", whitening_sig2=(-0.0, 0.0)),
    case("duplicate_pieces_last_wins", pieces=((b"a", 0), (b"b", 1), (b"a", 2)), max_piece_length=1),
    case("single_empty_piece", pieces=((b"", 0),), max_piece_length=1),
    case("max_piece_length_one_below", pieces=((b"abcd", 0), (b"e", 1)), max_piece_length=4),
    case("err_max_piece_length_zero", pieces=((b"", 0),), max_piece_length=0),
    case("err_edit_window", pieces=((b"abcde", 0),), max_piece_length=5),
    case("err_edit_window_before_tau", pieces=((b"abcde", 0),), max_piece_length=5, tau=0.0),
    case("err_prefix_quotes", pieces=((b"'", 0), (b"'\"x", 1), (b"z", 2)), max_piece_length=3),
    case("err_prefix_double_quote_only", pieces=((b'"', 0), (b'"q', 1)), max_piece_length=2),
    case("err_prefix_escapes", pieces=((b"\\\t", 0), (b"\\\t\n\r\x00\x7f\x80\xff", 1)), max_piece_length=4),
    case("err_prefix_empty_piece", pieces=((b"", 0), (b"a", 1)), max_piece_length=1),
    case("err_prefix_first_pair", pieces=((b"zz", 0), (b"z", 1), (b"ab", 2), (b"a", 3), (b"abc", 4)),
         max_piece_length=3),
    case("err_prefix_before_tau", pieces=((b"a", 0), (b"ab", 1)), tau=0.0),
    case("err_tau_zero", tau=0.0),
    case("err_tau_negative_before_features", tau=-1.0, features=0),
    case("err_features_zero_before_dim", d_model=0, features=0),
    case("err_dim_zero", d_model=0, features=2, value_dim=3),
    case("err_duplicate_ids", pieces=((b"a", 0), (b"b", 0)), max_piece_length=1),
    case("err_tau_before_duplicate_ids", pieces=((b"a", 0), (b"b", 0)), max_piece_length=1, tau=-0.5),
]

DETERMINISM = {
    "householder_qr": {"algorithm": "householder", "tolerance": 1e-12,
                       "sign_rule": "negative_if_nonnegative_pivot"},
    "manifest_path": "sera_manifest.bin",
}

vectors = []
for name, inp in CASES:
    snapshot, error = runtime_snapshot(inp, DETERMINISM)
    stored = dict(inp)
    stored["pieces"] = None if inp["pieces"] is None else [[p.hex(), i] for p, i in inp["pieces"]]
    vectors.append({"name": name, "inputs": stored, "error": error, "sera_snapshot": json_value(snapshot)})

json.dump({"generator": "test/stages/snapshot/gen-vectors.py", "vectors": vectors}, sys.stdout,
          separators=(",", ":"))
sys.stdout.write("\n")
