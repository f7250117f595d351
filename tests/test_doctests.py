"""Runs the ``>>>`` examples in the docstrings of ilbirs.graph and ilbirs.api."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import ilbirs.api
import ilbirs.graph

MODULES = sorted(
    info.name
    for package in (ilbirs.graph, ilbirs.api)
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + ".")
    if not info.name.endswith(".generate")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_hold(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_docstring_examples_exist() -> None:
    attempted = sum(doctest.testmod(importlib.import_module(n)).attempted for n in MODULES)
    assert attempted >= 10
