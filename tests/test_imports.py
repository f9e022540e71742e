"""The package's modules import downwards only (DESIGN.md, "Layout"): no import circle, no
module importing a package it belongs to (its names come from the module that defines them),
no private name of one module used by another, and the package's own modules imported at
module top (a function-level import hides an order, and is how a circle used to be worked
around; the compiled core is imported where the backend switch decides to). Read from the
source with ``ast``: nothing is imported, no backend is involved.

Each check is also run on a small package with one fault of each kind planted, so that a
check that finds nothing is known to be able to find something.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.backend_independent

PACKAGE = Path(__file__).resolve().parent.parent / "python" / "neardup"


@dataclass(frozen=True)
class Import:
    importer: str
    #: The module imported (``from M import n`` imports M, or M.n when that is a module).
    module: str
    #: Names taken from ``module`` (empty for ``import M``).
    names: tuple[str, ...]
    line: int
    #: Inside a function or method (not at module level).
    nested: bool


def modules_of(root: Path) -> dict[str, Path]:
    """Dotted module name -> file of every module of the package at ``root``: its source (a
    package's ``__init__.py`` under the package's name), or for a compiled module without
    source (the core, ``_core``) its stub."""
    found = {}
    for path in sorted([*root.rglob("*.py"), *root.rglob("*.pyi")]):
        parts = path.relative_to(root.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        name = ".".join(parts)
        if path.suffix == ".py" or name not in found:
            found[name] = path
    return found


def _compiled(name: str, modules: dict[str, Path]) -> bool:
    return modules[name].suffix == ".pyi"


def _is_package(name: str, modules: dict[str, Path]) -> bool:
    return modules[name].name == "__init__.py"


def _resolve(importer: str, level: int, module: str | None, modules: dict[str, Path]) -> str:
    if level == 0:
        return module or ""
    base = importer.split(".")
    if not _is_package(importer, modules):
        base = base[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([module] if module else []))


def imports_of(name: str, modules: dict[str, Path]) -> list[Import]:
    """The imports of module ``name`` of the package (imports of other packages left out)."""
    if _compiled(name, modules):
        return []
    tree = ast.parse(modules[name].read_text(encoding="utf-8"))
    root = next(iter(modules)).split(".")[0]
    found = []

    def visit(node: ast.AST, nested: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = nested or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name.split(".")[0] == root:
                        found.append(Import(name, alias.name, (), child.lineno, nested))
            elif isinstance(child, ast.ImportFrom):
                module = _resolve(name, child.level, child.module, modules)
                if module.split(".")[0] != root:
                    continue
                plain = []
                for alias in child.names:
                    submodule = f"{module}.{alias.name}"
                    if submodule in modules:
                        found.append(Import(name, submodule, (), child.lineno, nested))
                    else:
                        plain.append(alias.name)
                if plain:
                    found.append(Import(name, module, tuple(plain), child.lineno, nested))
            visit(child, inner)

    visit(tree, False)
    return found


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _module_aliases(name: str, modules: dict[str, Path]) -> dict[str, str]:
    """Names bound to a module of the package in module ``name`` (``import a.b as c``,
    ``from a import b`` where b is a module)."""
    if _compiled(name, modules):
        return {}
    tree = ast.parse(modules[name].read_text(encoding="utf-8"))
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in modules:
                    aliases[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname else alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom):
            module = _resolve(name, node.level, node.module, modules)
            for alias in node.names:
                if f"{module}.{alias.name}" in modules:
                    aliases[alias.asname or alias.name] = f"{module}.{alias.name}"
    return aliases


def circles(modules: dict[str, Path]) -> list[list[str]]:
    """The strongly connected groups of more than one module (or a module importing itself)
    in the graph of the package's imports, module-level and nested alike (Tarjan)."""
    graph = {name: sorted({i.module for i in imports_of(name, modules) if i.module in modules}) for name in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph[node]:
            if other not in index:
                connect(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1 or node in graph[node]:
                found.append(sorted(group))

    for node in graph:
        if node not in index:
            connect(node)
    return found


def problems(root: Path) -> list[str]:
    """Every import of the package at ``root`` that breaks the rules, one line each."""
    modules = modules_of(root)
    sources = [name for name in modules if not _compiled(name, modules)]
    out = [f"import circle: {' <-> '.join(group)}" for group in circles(modules)]
    for name in sources:
        where = modules[name].relative_to(root.parent)
        packages = {".".join(name.split(".")[:k]) for k in range(1, name.count(".") + 1)}
        for i in imports_of(name, modules):
            if i.module in packages and i.module != name:
                out.append(f"{where}:{i.line}: imports its own package {i.module} (import from the module that defines the names)")
            # The compiled core is imported where the backend is chosen, and only if it is.
            if i.nested and i.module in modules and not _compiled(i.module, modules):
                out.append(f"{where}:{i.line}: imports {i.module} inside a function (imports of the package go at module top)")
            taken = [n for n in i.names if _private(n)]
            if taken and i.module != name:
                out.append(f"{where}:{i.line}: takes the private name(s) {', '.join(taken)} of {i.module}")
        aliases = _module_aliases(name, modules)
        for node in ast.walk(ast.parse(modules[name].read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
                module = aliases[node.value.id]
                if _private(node.attr) and f"{module}.{node.attr}" not in modules and module != name:
                    out.append(f"{where}:{node.lineno}: uses the private name {node.attr} of {module}")
    return out


def test_the_package_imports_downwards_only() -> None:
    found = problems(PACKAGE)
    assert not found, "\n".join(found)


def _plant(root: Path, files: dict[str, str]) -> Path:
    package = root / "planted"
    for relative, text in files.items():
        path = package / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return package


def test_each_check_finds_its_planted_fault(tmp_path: Path) -> None:
    package = _plant(
        tmp_path,
        {
            "__init__.py": "from .low import public\n",
            "low.py": "_secret = 1\npublic = 2\n",
            "a.py": "from .b import value\n",
            "b.py": "from . import a\nvalue = 3\n",
            "root_user.py": "from . import public\n",
            "private_user.py": "from .low import _secret\n",
            "attribute_user.py": "from . import low\nx = low._secret\n",
            "late.py": "def f():\n    from .low import public\n    return public\n",
            "sub/__init__.py": "from .leaf import thing\n",
            "sub/leaf.py": "from ..sub import thing as again\nthing = 4\n",
            "fine.py": "from . import low\nfrom .low import public\nfrom .sub.leaf import thing\nimport os\n",
        },
    )
    found = problems(package)
    expected = [
        "import circle: planted.a <-> planted.b",
        "planted/root_user.py:1: imports its own package planted",
        "planted/private_user.py:1: takes the private name(s) _secret of planted.low",
        "planted/attribute_user.py:2: uses the private name _secret of planted.low",
        "planted/late.py:2: imports planted.low inside a function",
        "planted/sub/leaf.py:1: imports its own package planted.sub",
    ]
    for fault in expected:
        assert any(line.startswith(fault) for line in found), (fault, found)
    assert not [line for line in found if "fine.py" in line], found
    # The package importing its own modules (planted/__init__.py, sub/__init__.py) is how a
    # package face works: not a fault. And sub/leaf.py <-> sub is a circle as well.
    assert "import circle: planted.sub <-> planted.sub.leaf" in found
    assert len(found) == len(expected) + 1, found
