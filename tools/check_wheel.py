"""The built wheel installs and works where no Rust toolchain is.

    python tools/check_wheel.py [--profile dev|release]

Builds the abi3 wheel with maturin (the dev profile by default: the check is about packaging,
not speed), installs it into a fresh virtual environment from a PATH holding no cargo or rustc,
runs `neardup clean` on examples/corpus.jsonl there, and checks that the compiled core is the
backend and that the decisions equal those of the development install. Exits non-zero, saying
why, on any failure.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        sys.exit(f"check_wheel: {' '.join(command)} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return result


def path_without_rust() -> str:
    """PATH without the folders that hold cargo or rustc (a user's machine without Rust)."""
    kept = [d for d in os.environ.get("PATH", "").split(os.pathsep)
            if d and not (Path(d, "cargo").exists() or Path(d, "rustc").exists())]
    return os.pathsep.join(kept)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default="dev", choices=("dev", "release"))
    args = parser.parse_args()
    maturin = shutil.which("maturin") or str(Path(sys.executable).with_name("maturin"))
    with tempfile.TemporaryDirectory() as tmp:
        dist = Path(tmp) / "dist"
        run([maturin, "build", "--profile", args.profile, "--out", str(dist)], cwd=REPO)
        wheels = list(dist.glob("neardup-*.whl"))
        if len(wheels) != 1 or "abi3" not in wheels[0].name or "manylinux" not in wheels[0].name:
            sys.exit(f"check_wheel: expected one abi3 manylinux wheel, got {[w.name for w in wheels]}")
        env = {**os.environ, "PATH": path_without_rust()}
        env.pop("VIRTUAL_ENV", None)
        env.pop("NEARDUP_BACKEND", None)
        if shutil.which("cargo", path=env["PATH"]) or shutil.which("rustc", path=env["PATH"]):
            sys.exit("check_wheel: cargo or rustc is still on the PATH of the check")
        target = Path(tmp) / "venv"
        venv.create(target, with_pip=True)
        python = str(target / "bin" / "python")
        run([python, "-m", "pip", "install", "--quiet", str(wheels[0])], env=env)
        out = Path(tmp) / "out"
        corpus = REPO / "examples" / "corpus.jsonl"
        run([str(target / "bin" / "neardup"), "clean", str(corpus), "-o", str(out)], env=env, cwd=tmp)
        backend = run([python, "-c", "import neardup; print(neardup.backend())"], env=env, cwd=tmp).stdout.strip()
        if backend != "rust":
            sys.exit(f"check_wheel: the installed wheel runs the {backend!r} backend, not the compiled core")
        reference = Path(tmp) / "reference"
        run([sys.executable, "-m", "neardup", "clean", str(corpus), "-o", str(reference)], cwd=tmp,
            env={k: v for k, v in os.environ.items() if k != "NEARDUP_BACKEND"})
        installed = (out / "decisions.jsonl").read_bytes()
        if installed != (reference / "decisions.jsonl").read_bytes():
            sys.exit("check_wheel: the installed wheel's decisions differ from the development install's")
        rows = installed.count(b"\n")
        print(f"check_wheel: {wheels[0].name} installs without cargo or rustc on PATH; backend rust; "
              f"{rows} decisions equal to the development install's")


if __name__ == "__main__":
    main()
