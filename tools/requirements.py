"""Print the requirements of pyproject.toml, one per line: the runtime dependencies and those
of the extras named on the command line (``python tools/requirements.py test``).

For installing the Python dependencies without building the compiled core (which needs a
Rust toolchain): ``make test-python-only`` uses it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

try:
    import tomllib
except ImportError:  # Python 3.10, where the pure-Python reference refuses to run anyway
    sys.exit("tools/requirements.py needs Python >= 3.11 (tomllib)")

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
                                 allow_abbrev=False)
parser.add_argument("extras", nargs="*", metavar="EXTRA", help="an extra of pyproject.toml whose requirements to add")
args = parser.parse_args()
project = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text(encoding="utf-8"))["project"]
extras = project.get("optional-dependencies", {})
unknown = [name for name in args.extras if name not in extras]
if unknown:
    parser.error(f"no such extra in pyproject.toml: {', '.join(unknown)} (there are {', '.join(extras)})")
print("\n".join(project["dependencies"] + [r for name in args.extras for r in extras[name]]))
