"""Print the requirements of pyproject.toml, one per line: the runtime dependencies and those
of the extras named on the command line (``python tools/requirements.py test``).

For installing the Python dependencies without building the compiled core (which needs a
Rust toolchain): ``make test-python-only`` uses it."""

from __future__ import annotations

import sys
from pathlib import Path

try:
    import tomllib
except ImportError:  # Python 3.10, where the pure-Python reference refuses to run anyway
    sys.exit("tools/requirements.py needs Python >= 3.11 (tomllib)")

project = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text(encoding="utf-8"))["project"]
extras = project.get("optional-dependencies", {})
unknown = [name for name in sys.argv[1:] if name not in extras]
if unknown:
    sys.exit(f"no such extra in pyproject.toml: {', '.join(unknown)} (there are {', '.join(extras)})")
print("\n".join(project["dependencies"] + [r for name in sys.argv[1:] for r in extras[name]]))
