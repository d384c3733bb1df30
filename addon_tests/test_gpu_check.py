"""The GPU check's CPU path (scripts/gpu/gpu_check.py --device cpu --tiny), so the script a GPU
session depends on cannot rot between the rare sessions that have a GPU."""

import json
import os
import subprocess
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_the_gpu_check_runs_every_job_and_prints_its_table_on_the_cpu(tmp_path):
    done = subprocess.run([sys.executable, os.path.join(REPO_ROOT, "scripts", "gpu", "gpu_check.py"), "--device",
                           "cpu", "--tiny", "--out", str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "| job | device vs CPU (relative) |" in done.stdout
    report = json.loads((tmp_path / "gpu_check.json").read_text())
    jobs = [row[0] for row in report["comparisons"]]
    assert jobs[:3] == ["relight.apply", "colorize.auto", "colorize.scribbles"]
    assert any(job.startswith("gan.train") for job in jobs) and any(job.startswith("stylize.image") for job in jobs)
    assert report["failures"] == []
    assert "torch" in (tmp_path / "gpu_check.log").read_text()
