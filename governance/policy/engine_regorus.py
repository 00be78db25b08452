"""The regorus adapter of the RegoEvaluator port (the default engine)."""

from __future__ import annotations

import atexit
import ctypes
import sys
import threading
from typing import Any

import orjson

from governance.policy.evaluator import RegoError, RegoProblem, RegoUndefined, regorus_problem
from governance.policy.input_shape import shape_modules
from governance.policy.rego_text import PACKAGE
from governance.policy.source import PolicySource

_UNDEFINED = '"<undefined>"'

# Engines whose evaluator was discarded, by owning thread: a regorus engine may only be
# dropped on the thread that built it, so each thread frees its own on its next evaluation.
# Keyed by the Thread object, not its ident: idents are reused once a thread ends, while the
# engine stays bound to the thread that ended.
_RETIRED: dict[threading.Thread, list[Any]] = {}
_RETIRED_LOCK = threading.Lock()


def _keep_forever(engine: Any, _incref: Any = ctypes.pythonapi.Py_IncRef) -> None:
    """An engine whose thread has ended (or at exit) can never be freed: pyo3 refuses the drop
    and prints an error. One extra reference makes it never reach the drop at all."""
    _incref(ctypes.py_object(engine))


@atexit.register
def _keep_retired_at_exit() -> None:
    with _RETIRED_LOCK:
        for engines in _RETIRED.values():
            for engine in engines:
                _keep_forever(engine)
        _RETIRED.clear()


def _guarded(call: Any, *args: Any) -> Any:
    try:
        return call(*args)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # pyo3 raises RuntimeError, panics are BaseExceptions
        raise RegoError((regorus_problem(str(exc)),)) from None


class RegorusEvaluator:
    """regorus engines are pinned to the thread that built them (pyo3 "unsendable"), so each
    thread that evaluates gets its own compiled copy, built on first use."""

    name = "regorus"

    def __init__(
        self, source: PolicySource, *, with_tests: bool = False, by_shape: bool = False
    ) -> None:
        shapes = shape_modules(source.modules) if by_shape else ()
        self.validates_by_shape = bool(shapes)
        self._modules = (*source.modules, *shapes, *(source.tests if with_tests else ()))
        self._data_json = source.data_json
        self._engines: dict[threading.Thread, Any] = {}
        # compile now, so a broken policy fails at load time; regorus analyses every module
        # on the first evaluation
        self.query("true", "{}")

    def _engine(self) -> Any:
        thread = threading.current_thread()
        engine = self._engines.get(thread)
        if engine is None:
            engine = _build(self._modules, self._data_json)
            self._engines[thread] = engine
        if thread in _RETIRED:
            with _RETIRED_LOCK:
                _RETIRED.pop(thread, None)  # dropped here, on the owning thread
        return engine

    def eval_json(self, rule: str, input_json: str) -> Any:
        engine = self._engine()
        engine.set_input_json(input_json)
        text = _guarded(engine.eval_rule_as_json, rule)
        if text == _UNDEFINED:
            raise RegoUndefined(rule)
        return orjson.loads(text)

    def query(self, ref: str, input_json: str) -> tuple[bool, Any]:
        engine = self._engine()
        engine.set_input_json(input_json)
        rows = orjson.loads(_guarded(engine.eval_query_as_json, ref)).get("result") or []
        if not rows:
            return False, None
        return True, rows[0]["expressions"][0]["value"]

    # The helpers are bound as defaults: at interpreter exit module globals may be gone.
    def __del__(
        self,
        _keep: Any = _keep_forever,
        _current: Any = threading.current_thread,
        _finalizing: Any = sys.is_finalizing,
        _lock: Any = _RETIRED_LOCK,
        _retired: Any = _RETIRED,
    ) -> None:
        engines, self._engines = self._engines, {}
        current = _current()
        for thread, engine in engines.items():
            if thread is current:
                continue  # dropped normally when `engines` goes out of scope
            if _finalizing() or not thread.is_alive():
                _keep(engine)
                continue
            with _lock:
                _retired.setdefault(thread, []).append(engine)


def _build(modules: tuple[tuple[str, str], ...], data_json: str) -> Any:
    import regorus

    engine = regorus.Engine()
    problems: list[RegoProblem] = []
    for name, text in modules:
        try:
            engine.add_policy(name, text)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:
            problems.append(regorus_problem(str(exc), name))
    if problems:
        raise RegoError(problems)
    engine.add_data_json(data_json)
    return engine


def check_modules(modules: list[tuple[str, str]]) -> list[RegoProblem]:
    """Every problem regorus finds: each module is parsed on its own (one that does not parse
    does not hide the others), then each package is evaluated once with an empty input, which
    is when regorus reports unknown functions, unsafe variables and conflicting rules."""
    import regorus

    problems: list[RegoProblem] = []
    engine = regorus.Engine()
    loaded: list[tuple[str, str]] = []
    for name, text in modules:
        try:
            engine.add_policy(name, text)
            loaded.append((name, text))
        except Exception as exc:
            problems.append(regorus_problem(str(exc), name))
    engine.set_input_json("{}")
    evaluated: set[str] = set()
    for name, text in loaded:
        match = PACKAGE.search(text)
        if match is None or match.group(1) in evaluated:
            continue
        evaluated.add(match.group(1))
        try:
            engine.eval_query_as_json(f"data.{match.group(1)}")
        except Exception as exc:
            problems.append(regorus_problem(str(exc), name))
    return problems
