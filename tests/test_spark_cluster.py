"""The README's cluster path, run for real: a Spark standalone master and two workers on this
machine (loopback), the environment packed as README says (the wheel in a fresh venv, packed
with venv-pack), ``examples/spark_clean.py`` submitted with ``spark-submit --archives``; its
decisions equal ``neardup clean``'s on the same input.

The daemons are started and stopped with ``sbin/spark-daemon.sh`` of the pyspark package: it
is what a Spark distribution's ``start-master.sh`` / ``start-worker.sh`` / ``stop-*.sh`` call,
and pyspark's wheel ships it but not them. Everything lives in a temporary folder (logs, pid
files, work and local dirs); whatever is still running at the end, also after a failure, is
killed by the pids the daemons wrote and by the working folder of the processes they started.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from neardup.cli import main

pytestmark = pytest.mark.spark

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
BIN = Path(sys.executable).parent

# The documented commands (README, "Running on a cluster"), run with these names in a
# temporary folder. pandas: pyspark's Arrow UDFs import it on the driver and the executors;
# pyspark itself comes with the cluster's Spark (SPARK_HOME/python/lib), so it is not packed.
ENV_NAME = "neardup-env"
PANDAS = "'pandas>=2.2,<3'"
DOCUMENTED = [
    f"python -m venv {ENV_NAME}",
    f"{ENV_NAME}/bin/pip install dist/neardup-*.whl {PANDAS}",
    f"venv-pack -p {ENV_NAME} -o {ENV_NAME}.tar.gz",
    f"PYSPARK_DRIVER_PYTHON={ENV_NAME}/bin/python PYSPARK_PYTHON=./environment/bin/python",
    # 2-4 shuffle partitions per executor core: with Spark's default of 200, the 7 pages of
    # examples/corpus.jsonl ran 10,263 tasks in 419 s on this cluster (255 in 169 s with 4).
    "--conf spark.sql.shuffle.partitions=4",
    f"--archives {ENV_NAME}.tar.gz#environment examples/spark_clean.py",
]
MASTER_CLASS = "org.apache.spark.deploy.master.Master"
WORKER_CLASS = "org.apache.spark.deploy.worker.Worker"
WORKERS = 2
SUBMIT_TIMEOUT = 900


def test_readme_documents_the_commands_this_test_runs():
    text = " ".join(README.read_text(encoding="utf-8").replace("\\\n", " ").split())
    missing = [command for command in DOCUMENTED if command not in text]
    assert not missing, f"README's cluster commands are not the ones tests/test_spark_cluster.py runs: {missing}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}{result.stderr}"
    return result


def ours(pid: int, root: Path) -> bool:
    """Whether process ``pid`` is one this test started: its command line or its working
    folder names the test's temporary folder (a pid can be reused by another process)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        cwd = os.readlink(f"/proc/{pid}/cwd")
    except OSError:
        return False
    return str(root) in cmdline or cwd.startswith(str(root))


def leftovers(root: Path, pids: list[int]) -> list[int]:
    """The started daemons still alive, and every process working inside ``root`` (the
    executors and their Python workers run in the workers' work folders)."""
    found = {pid for pid in pids if ours(pid, root)}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            with contextlib.suppress(OSError):
                if os.readlink(entry / "cwd").startswith(str(root)):
                    found.add(int(entry.name))
    return sorted(found)


def kill_leftovers(root: Path, pids: list[int]) -> list[int]:
    """SIGTERM, then SIGKILL after 10 s, to what :func:`leftovers` finds; returns the pids
    still alive after that."""
    alive = leftovers(root, pids)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in alive:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + 10
        while alive and time.monotonic() < deadline:
            time.sleep(0.2)
            alive = [pid for pid in alive if ours(pid, root)]
        if not alive:
            break
    return alive


def without_noise(log: str, lines: int = 60) -> str:
    """The last lines of a Spark log less its INFO lines and Java stack frames: the Python
    traceback and the errors."""
    kept = [line for line in log.splitlines() if " INFO " not in line and not line.lstrip().startswith("at ")]
    return "\n".join(kept[-lines:])


def log_tails(root: Path) -> str:
    logs = sorted(root.glob("logs/*.out")) + sorted(root.glob("work-*/app-*/*/stderr"))
    return "".join(f"\n--- {path}:\n" + without_noise(path.read_text(errors="replace"), 25) for path in logs)


@dataclass
class Cluster:
    #: The folder holding everything the cluster writes (conf, logs, pids, work and local dirs).
    root: Path
    master: str
    #: The environment the daemons run in and spark-submit is run with.
    env: dict[str, str]
    master_log: Path

    def wait_for_workers(self, seconds: float = 180) -> None:
        deadline = time.monotonic() + seconds
        while self.master_log.read_text(errors="replace").count("Registering worker") < WORKERS:
            assert time.monotonic() < deadline, f"the workers did not register with the master in {seconds} s:{log_tails(self.root)}"
            time.sleep(0.5)


@contextlib.contextmanager
def standalone_cluster(root: Path, spark_home: Path) -> Iterator[Cluster]:
    """Starts a master and two workers (1 core, 1 GB each) on 127.0.0.1 and yields without
    waiting for the workers to register (their JVMs start while the caller works). Stops them
    with spark-daemon.sh, then kills what is left, also when the body failed."""
    conf, logs, pids, local = (root / name for name in ("conf", "logs", "pids", "local"))
    for folder in (conf, logs, pids, local):
        folder.mkdir(parents=True)
    # The master's REST server would take port 6066, shared by everyone on the machine. The
    # driver and executors of the job (this file is the cluster's, read by spark-submit) start
    # with the quick JIT and the serial collector too: on a job this small, JIT compilation is
    # most of their CPU, which the two executors and the driver share with the rest of the
    # test suite on 2 cores.
    quick_jvm = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
    (conf / "spark-defaults.conf").write_text(
        f"spark.master.rest.enabled false\nspark.driver.extraJavaOptions {quick_jvm}\nspark.executor.extraJavaOptions {quick_jvm}\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPARK_", "PYSPARK_")) and k not in ("NEARDUP_BACKEND", "VIRTUAL_ENV", "PYTHONPATH")}
    env.update(
        SPARK_HOME=str(spark_home), SPARK_CONF_DIR=str(conf), SPARK_LOG_DIR=str(logs), SPARK_PID_DIR=str(pids),
        SPARK_LOCAL_DIRS=str(local), SPARK_LOCAL_IP="127.0.0.1", SPARK_IDENT_STRING=f"neardup-test-{os.getpid()}",
        # The master and workers do little: the quick JIT and the serial collector halve the
        # CPU their start takes (16 -> 9 s measured), which the executors share on 2 cores.
        SPARK_DAEMON_MEMORY="512m", SPARK_DAEMON_JAVA_OPTS=quick_jvm,
    )
    daemon = str(spark_home / "sbin" / "spark-daemon.sh")
    master = f"spark://127.0.0.1:{free_port()}"
    starts = [[daemon, "start", MASTER_CLASS, "1", "--host", "127.0.0.1", "--port", master.rsplit(":", 1)[1], "--webui-port", "0"]]
    starts += [[daemon, "start", WORKER_CLASS, str(i), "--host", "127.0.0.1", "--webui-port", "0", "--cores", "1",
                "--memory", "1g", "--work-dir", str(root / f"work-{i}"), master] for i in range(1, WORKERS + 1)]
    def recorded() -> list[int]:
        return [int(path.read_text()) for path in sorted(pids.glob("*.pid"))]

    try:
        # Each start waits ~3 s for its JVM; the workers retry until the master is up. The
        # daemons work in `root`, where the final sweep looks for what is left.
        launches = [subprocess.Popen(command, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for command in starts]
        outputs = [launch.communicate(timeout=120)[0] for launch in launches]
        assert len(recorded()) == 1 + WORKERS, f"spark-daemon.sh did not start the daemons:\n{''.join(outputs)}{log_tails(root)}"
        yield Cluster(root, master, env, next(logs.glob(f"*{MASTER_CLASS}-1-*.out")))
    finally:
        started = recorded()  # before the stops, which remove the pid files
        for i in range(1, WORKERS + 1):
            subprocess.run([daemon, "stop", WORKER_CLASS, str(i)], cwd=root, env=env, capture_output=True)
        subprocess.run([daemon, "stop", MASTER_CLASS, "1"], cwd=root, env=env, capture_output=True)
        left = kill_leftovers(root, started)
        assert not left, f"processes {left} outlived SIGKILL"


@pytest.fixture
def spark_home() -> Path:
    pyspark = pytest.importorskip("pyspark", reason="pyspark is not installed (pip install 'neardup[spark]')")
    if shutil.which("java") is None:
        pytest.skip("no Java runtime on PATH: Spark needs Java 17+")
    return Path(pyspark.__file__).parent


def cluster_input(path: Path, shared_data: Path) -> None:
    """examples/corpus.jsonl (a wire story and its copy among pages with chrome) and the first
    40 pages of the syndication set (copies of articles inside other sites' chrome)."""
    lines = (REPO / "examples" / "corpus.jsonl").read_text(encoding="utf-8").splitlines()
    with gzip.open(shared_data / "dups-syndication-cleanportaleval.jsonl.gz", "rt", encoding="utf-8") as handle:
        for _, line in zip(range(40), handle):
            page = json.loads(line)
            lines.append(json.dumps({k: page[k] for k in ("id", "site", "url", "text")}, ensure_ascii=False))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def pack_environment(root: Path) -> None:
    """README's commands: the wheel (the dev profile, as tools/check_wheel.py builds it: this
    checks packaging, not speed) into a fresh venv with pandas, packed with venv-pack as
    ``neardup-env.tar.gz``."""
    maturin = shutil.which("maturin") or str(BIN / "maturin")
    run([maturin, "build", "--profile", "dev", "--out", str(root / "dist")], cwd=REPO)
    (wheel,) = (root / "dist").glob("neardup-*.whl")
    clean_env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    run([sys.executable, "-m", "venv", ENV_NAME], cwd=root, env=clean_env)
    run([f"{ENV_NAME}/bin/pip", "install", "--quiet", str(wheel.relative_to(root)), PANDAS.strip("'")], cwd=root, env=clean_env)
    run([str(BIN / "venv-pack"), "-p", ENV_NAME, "-o", f"{ENV_NAME}.tar.gz", "--quiet"], cwd=root, env=clean_env)


def submit(root: Path, cluster: Cluster, inputs: Path, output: Path) -> subprocess.CompletedProcess:
    """spark-submit of examples/spark_clean.py as README says; its whole process group is
    killed if it outlives SUBMIT_TIMEOUT."""
    command = [str(Path(cluster.env["SPARK_HOME"]) / "bin" / "spark-submit"), "--master", cluster.master, "--conf", "spark.sql.shuffle.partitions=4",
               "--archives", f"{ENV_NAME}.tar.gz#environment", str(REPO / "examples" / "spark_clean.py"), str(inputs), str(output)]
    submit_env = {**cluster.env, "PYSPARK_DRIVER_PYTHON": f"{ENV_NAME}/bin/python", "PYSPARK_PYTHON": "./environment/bin/python"}
    process = subprocess.Popen(command, cwd=root, env=submit_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    timed_out = False
    try:
        stdout, stderr = process.communicate(timeout=SUBMIT_TIMEOUT)
    except subprocess.TimeoutExpired:
        timed_out = True
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
    finally:
        if process.poll() is None:  # interrupted: the driver (JVM and Python) goes too
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    if timed_out:
        pytest.fail(f"spark-submit ran past {SUBMIT_TIMEOUT} s:\n{without_noise(stderr)}{log_tails(cluster.root)}")
    (cluster.root / "logs" / "spark-submit.log").write_text(stdout + stderr, encoding="utf-8")
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def spark_decisions(output: Path) -> list[dict]:
    rows = pq.read_table(output / "decisions.parquet").to_pylist()
    for row in rows:
        row["removed"] = [[r["start"], r["end"], r["reason"]] for r in row["removed"]]
        del row["source"]
    return rows


def local_decisions(inputs: Path, output: Path) -> list[dict]:
    assert main(["clean", str(inputs), "-o", str(output)]) == 0
    with open(output / "decisions.jsonl", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Path]:
    """tmp_path, less the ~1.3 GB of environments (the venv, its archive, the executors'
    unpacked copies) once the test is over: pytest keeps the folders of the last runs."""
    yield tmp_path
    for folder in [tmp_path / ENV_NAME, *tmp_path.glob("cluster/work-*/app-*/*/environment")]:
        shutil.rmtree(folder, ignore_errors=True)
    (tmp_path / f"{ENV_NAME}.tar.gz").unlink(missing_ok=True)


def test_spark_submit_on_a_standalone_cluster_decides_as_neardup_clean(spark_home, shared_data, workspace):
    root = workspace
    inputs = root / "input.jsonl"
    cluster_input(inputs, shared_data)
    expected = local_decisions(inputs, root / "local")
    started = time.monotonic()
    with standalone_cluster(root / "cluster", spark_home) as cluster:
        pack_environment(root)
        packed = time.monotonic()
        cluster.wait_for_workers()
        result = submit(root, cluster, inputs, root / "spark")
        submitted = time.monotonic()
        assert result.returncode == 0, f"spark-submit failed ({result.returncode}):\n{without_noise(result.stderr)}{log_tails(cluster.root)}"
        # The executors ran the packed environment's Python: Spark unpacked it in their work folders.
        unpacked = list(cluster.root.glob("work-*/app-*/*/environment/bin/python"))
        assert len(unpacked) == WORKERS, f"the archive was unpacked for {len(unpacked)} executors, not {WORKERS}"
    print(f"cluster start and packing {packed - started:.1f} s, spark-submit {submitted - packed:.1f} s, "
          f"stop {time.monotonic() - submitted:.1f} s")
    summary = json.loads((root / "spark" / "summary.json").read_text(encoding="utf-8"))
    assert summary["backend"] == "rust" and summary["engine"].endswith(f"({cluster.master})")
    got = spark_decisions(root / "spark")
    assert [d["id"] for d in got] == [d["id"] for d in expected]
    for mine, theirs in zip(got, expected):
        assert mine == theirs, f"decision of {theirs['id']} differs"
    dropped = [d["action"] for d in expected].count("dropped")
    assert dropped > 0 and summary["dropped"] == dropped
