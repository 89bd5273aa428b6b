"""The package's layering (lower layers never import higher ones)."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


# the package's layers, lowest first (ddpm_lessons/__init__.py): a module may import its own layer or lower ones
LAYERS = [
    {"checks", "device", "tables"},
    {"schedule", "samplers", "sampling", "mixture", "interpolation", "stats"},
    {"models", "data", "pretrained", "train"},
    {"metrics", "analysis", "costs"},
    {"plots", "widgets"},
    {"exercises", "__init__"},
]


def _package_imports(path):
    import ast

    deps = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level > 0:
            deps |= {node.module.split(".")[0]} if node.module else {a.name for a in node.names}
    return deps


def test_lower_layers_never_import_higher_ones():
    pkg = ROOT / "ddpm_lessons"
    layer_of = {name: i for i, names in enumerate(LAYERS) for name in names}
    modules = {p.stem: p for p in pkg.glob("*.py")} | {"models": pkg / "models" / "__init__.py"}
    assert set(modules) == set(layer_of), f"modules without a layer: {set(modules) ^ set(layer_of)}"
    for p in (pkg / "models").glob("*.py"):  # the models subpackage only uses checks and itself
        assert _package_imports(p) <= {"checks", "classifier", "mlp", "unet"}, p
    wrong = [f"{name} (layer {layer_of[name]}) imports {dep} (layer {layer_of[dep]})"
             for name, path in modules.items() for dep in _package_imports(path)
             if dep in layer_of and layer_of[dep] > layer_of[name]]
    assert not wrong, wrong
