"""The benchmark runs FAISS on numpy's OpenBLAS kernels, and leaves a user's choice alone."""

import pytest

from bench import common


class Exec(Exception):
    pass


@pytest.fixture
def execve(monkeypatch):
    calls = []

    def fake(path, args, env):
        calls.append((path, args, env))
        raise Exec

    monkeypatch.setattr(common.os, "execve", fake)
    return calls


def test_unset_variable_reexecutes_with_numpy_kernel(monkeypatch, execve):
    monkeypatch.delenv(common.CORETYPE, raising=False)
    monkeypatch.setattr(common, "numpy_blas_kernel", lambda: "SkylakeX")
    with pytest.raises(Exec):
        common.ensure_coretype(["--quick", "--only", "pq"])
    (path, args, env), = execve
    assert args[1:] == ["-m", "bench", "--quick", "--only", "pq"]
    assert env[common.CORETYPE] == "SkylakeX"


def test_after_reexec_it_says_the_benchmark_set_it(monkeypatch, execve):
    monkeypatch.setenv(common.CORETYPE, "SkylakeX")
    monkeypatch.setenv(common._SET_BY_BENCH, "SkylakeX")
    monkeypatch.setattr(common, "numpy_blas_kernel", lambda: "SkylakeX")
    state = common.ensure_coretype([])
    assert not execve
    assert state["value"] == "SkylakeX" and "set by the benchmark" in state["source"]


def test_user_value_is_left_alone_and_named(monkeypatch, execve):
    monkeypatch.setenv(common.CORETYPE, "Haswell")
    monkeypatch.delenv(common._SET_BY_BENCH, raising=False)
    monkeypatch.setattr(common, "_native_kernel", lambda: "SkylakeX")
    state = common.ensure_coretype([])
    assert not execve
    assert state["value"] == "Haswell"
    assert "set by the user" in state["source"] and "SkylakeX" in state["source"]
    text = common.coretype_text({"coretype": dict(state, faiss_kernel="Haswell")})
    assert "not numpy's SkylakeX" in text


def test_numpy_without_openblas_sets_nothing(monkeypatch, execve):
    monkeypatch.delenv(common.CORETYPE, raising=False)
    monkeypatch.setattr(common, "numpy_blas_kernel", lambda: None)
    state = common.ensure_coretype([])
    assert not execve
    assert state["value"] is None and "not set" in state["source"]


def test_equality_target():
    t = common.Target("==", 1000, " queries")
    assert t.status(1000) == "met"
    assert t.status(998).startswith("MISSED by 2")
