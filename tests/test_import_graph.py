"""The package's import graph: no cycles, and every import points down the layers.

Read from the source with :mod:`ast` (imports inside functions and under
``TYPE_CHECKING`` count: a cycle a reader has to untangle is a cycle). The layers
are the data path of ``docs/ARCHITECTURE.md``: a module may import its own layer
or a lower one, never a higher one. A new top-level module must be placed here.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path
from typing import Final

PACKAGE: Final = "otel_discord"
ROOT: Final = Path(__file__).resolve().parents[1] / PACKAGE

LAYERS: Final = (
    # 0 foundations: names and plain values every layer may use
    (
        "channels",
        "errors",
        "version",
        "severity",
        "records",
        "fingerprint",
        "scheduler",
        "_http_server",
        "_host_header",
        "record_clip",
        "exception_ids",
        "console",
        "fork_safety",
    ),
    ("state",),  # 1 aggregation state between exports
    ("render",),  # 2 pure rendering: values in, embed dicts out
    ("delivery",),  # 3 queue items, outboxes, senders, transport
    ("config", "routing"),  # 4 settings and routing rules
    ("monitors",),  # 5 alert rules and health, fed through MonitorSource
    ("pipeline", "snapshot_charts"),  # 6 the hub: state, schedules and delivery of one config
    ("intake",),  # 7 OTel records -> routed values -> a pipeline
    ("exporters", "gateway", "instrumentation"),  # 8 the SDK adapters and the OTLP receiver
    ("localdiscord", "offline", "check"),  # 9 tools: the strict local Discord, an offline bot
    ("testing", "preview", "setup", "distro"),  # 10 faces of the tools and of the setup
    ("demo", "cli", ""),  # 11 entry points (and the package's own __init__)
)

KNOWN_CYCLES: Final[set[frozenset[str]]] = set()


def _modules() -> dict[str, tuple[Path, bool]]:
    found = {}
    for path in ROOT.rglob("*.py"):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        found[".".join(parts)] = (path, is_package)
    return found


@functools.cache
def import_graph() -> dict[str, frozenset[str]]:
    """Module -> the package modules it imports (``from pkg import sub`` -> ``pkg.sub``)."""
    modules = _modules()
    graph: dict[str, frozenset[str]] = {}
    for name, (path, is_package) in modules.items():
        base = name.split(".") if is_package else name.split(".")[:-1]
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                deps.update(a.name for a in node.names if a.name in modules)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    prefix = base[: len(base) - node.level + 1]
                    target = ".".join([*prefix, *([node.module] if node.module else [])])
                else:
                    target = node.module or ""
                if target not in modules:
                    continue
                subs = {f"{target}.{a.name}" for a in node.names} & modules.keys()
                if len(subs) < len(node.names):
                    deps.add(target)  # a name defined in the module itself
                deps.update(subs)
        deps.discard(name)
        graph[name] = frozenset(deps)
    return graph


def layer_of(module: str) -> int:
    """The layer of the longest matching prefix in ``LAYERS``."""
    relative = module.removeprefix(PACKAGE).removeprefix(".")
    best, best_len = -1, -1
    for rank, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            matches = relative == prefix or relative.startswith(prefix + ".") or prefix == ""
            if matches and len(prefix) > best_len:
                best, best_len = rank, len(prefix)
    return best


def cycles(graph: dict[str, frozenset[str]]) -> list[frozenset[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for dep in sorted(graph[node]):
            if dep not in index:
                visit(dep)
                low[node] = min(low[node], low[dep])
            elif dep in on_stack:
                low[node] = min(low[node], index[dep])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(frozenset(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


class TestImportGraph:
    def test_the_graph_is_read(self) -> None:
        """The reader sees real edges (a broken reader would pass every other test)."""
        graph = import_graph()
        assert "otel_discord.pipeline" in graph["otel_discord.intake.route"]
        assert "otel_discord.render.errors" in graph["otel_discord.delivery.grouped"]
        assert "otel_discord.localdiscord" in graph["otel_discord.testing"]

    def test_no_import_cycles(self) -> None:
        """No two modules import each other, directly or around a loop."""
        found = [c for c in cycles(import_graph()) if c not in KNOWN_CYCLES]
        assert [] == [sorted(c) for c in found]

    def test_every_module_has_a_layer(self) -> None:
        """A new top-level module must be placed in LAYERS (and in ARCHITECTURE.md)."""
        unplaced = [m for m in import_graph() if layer_of(m) < 0]
        assert [] == unplaced

    def test_no_upward_imports(self) -> None:
        """Every import points to the same layer or a lower one."""
        graph = import_graph()
        upward = [
            f"{module} -> {dep}"
            for module, deps in sorted(graph.items())
            for dep in sorted(deps)
            if layer_of(dep) > layer_of(module)
        ]
        assert [] == upward

    def test_rendering_and_state_stay_below_delivery(self) -> None:
        """The walls the issue named: render/state never import delivery, monitors the pipeline."""
        graph = import_graph()
        for module, deps in graph.items():
            if module.startswith(("otel_discord.render", "otel_discord.state")):
                assert not {d for d in deps if d.startswith("otel_discord.delivery")}, module
            if module.startswith("otel_discord.monitors"):
                assert "otel_discord.pipeline" not in deps, module


def test_architecture_names_every_layer_as_the_graph_does() -> None:
    """docs/ARCHITECTURE.md's layers table lists the same modules per layer as ``LAYERS``."""
    import re

    text = (ROOT.parent / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    documented: dict[int, set[str]] = {}
    for match in re.finditer(r"^\| (\d+) [^|]+\| ([^|]+) \|", text, re.M):
        names = {n.rstrip("/") for n in re.findall(r"`([^`]+)`", match.group(2))}
        documented[int(match.group(1))] = {"" if n == "__init__" else n for n in names}
    assert {rank: set(prefixes) for rank, prefixes in enumerate(LAYERS)} == documented
