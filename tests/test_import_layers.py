"""mlkit's folders import downward: no import cycle between them, no private names across them.

The graph is read from the source with `ast`, so nothing is imported. A node
is a top-level part of mlkit (`mlkit.layers`, `mlkit.saving`, `mlkit.variable`,
...; `mlkit` itself for the root package's `__init__.py`). An edge A -> B
means a module of A imports a module of B when it is imported: at module
level, in a class body or under a module-level `if`/`try`. An import inside a
function runs only when the function is called; such imports are deliberate
lazy imports (each says why) and are not edges.
"""

import ast
import functools
from pathlib import Path

MLKIT = Path(__file__).resolve().parent.parent / "mlkit"

# Edges that close a cycle today, each with the reason it is still there.
# A new cycle fails the test; an edge listed here that has gone fails it too,
# so that this list only ever shrinks.
ALLOWED_EDGES = {}


def module_name(path):
    parts = path.relative_to(MLKIT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@functools.cache
def is_module(name):
    path = MLKIT.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def node_of(name):
    """'mlkit.saving.model_file' -> 'saving'; 'mlkit' -> 'mlkit'."""
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else "mlkit"


@functools.cache
def imports(path):
    """(imported module, name after `import`, runs at import time) for each mlkit import in `path`."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []

    def visit(node, at_import_time):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                visit(child, False)
                continue
            if isinstance(child, ast.Import):
                found.extend((alias.name, None, at_import_time) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    parent = package.split(".")[: len(package.split(".")) - (child.level - 1)]
                    base = ".".join(parent + ([child.module] if child.module else []))
                for alias in child.names:
                    submodule = f"{base}.{alias.name}"
                    found.append((submodule if is_module(submodule) else base, alias.name, at_import_time))
            visit(child, at_import_time)

    visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)), True)
    return [entry for entry in found if entry[0] == "mlkit" or entry[0].startswith("mlkit.")]


def sources():
    return sorted(MLKIT.rglob("*.py"))


def folder_graph():
    """{(A, B): 'importing module -> imported module'} for every edge between two nodes."""
    edges = {}
    for path in sources():
        importer = module_name(path)
        for imported, _, at_import_time in imports(path):
            if at_import_time and node_of(importer) != node_of(imported):
                edges.setdefault((node_of(importer), node_of(imported)), f"{importer} -> {imported}")
    return edges


def find_cycle(edges):
    """One cycle as a list of nodes [A, B, ..., A], or None."""
    successors = {}
    for source, target in sorted(edges):
        successors.setdefault(source, []).append(target)
    state, path = {}, []

    def visit(node):
        state[node] = "open"
        path.append(node)
        for successor in successors.get(node, []):
            if state.get(successor) == "open":
                return path[path.index(successor):] + [successor]
            if successor not in state:
                cycle = visit(successor)
                if cycle:
                    return cycle
        state[node] = "done"
        path.pop()
        return None

    for node in sorted(successors):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def test_no_import_cycle_between_folders():
    edges = folder_graph()
    checked = {edge: example for edge, example in edges.items() if edge not in ALLOWED_EDGES}
    cycle = find_cycle(checked)
    assert cycle is None, "import cycle between mlkit's folders: " + " -> ".join(cycle) + "\n" + "\n".join(
        f"  {source} -> {target}: e.g. {checked[(source, target)]}" for source, target in zip(cycle, cycle[1:])
    )


def reachable(edges, start):
    found, pending = {start}, [start]
    while pending:
        node = pending.pop()
        for source, target in edges:
            if source == node and target not in found:
                found.add(target)
                pending.append(target)
    return found


def test_no_other_folder_joins_an_allowed_cycle():
    """An allowed edge A -> B may close the cycle A -> B -> A only: no folder in between."""
    edges = folder_graph()
    for source, target in ALLOWED_EDGES:
        on_cycle = {node for node in reachable(edges, target) if source in reachable(edges, node)}
        assert on_cycle <= {source, target}, (
            f"{sorted(on_cycle - {source, target})} joined the allowed cycle {source} -> {target} -> {source}"
        )


def test_allowed_edges_are_still_needed():
    edges = folder_graph()
    gone = sorted(edge for edge in ALLOWED_EDGES if edge not in edges)
    assert not gone, f"these allowed edges no longer exist: remove them from ALLOWED_EDGES: {gone}"
    without = {edge: example for edge, example in edges.items() if edge not in ALLOWED_EDGES}
    for edge in ALLOWED_EDGES:
        assert find_cycle({**without, edge: edges[edge]}), (
            f"{edge[0]} -> {edge[1]} no longer closes a cycle: remove it from ALLOWED_EDGES"
        )


def test_no_private_names_imported_across_folders():
    crossing = []
    for path in sources():
        importer = module_name(path)
        for imported, name, _ in imports(path):
            private = name is not None and name.startswith("_") and not name.startswith("__")
            if private and node_of(imported) != node_of(importer):
                crossing.append(f"{path.relative_to(MLKIT.parent)}: from {imported} import {name}")
    assert not crossing, "private names imported from another folder:\n" + "\n".join(crossing)


def test_find_cycle_reports_the_path():
    assert find_cycle({("a", "b"): "", ("b", "c"): "", ("c", "a"): ""}) == ["a", "b", "c", "a"]
    assert find_cycle({("a", "b"): "", ("b", "c"): ""}) is None
