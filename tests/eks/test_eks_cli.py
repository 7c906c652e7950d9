"""`aslrun run --eks-backend ... --eks-kubeconfig NAME=CONTEXT` through click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from aslrun.cli.main import cli
from aslrun.integrations.eks.kube import JobOutcome, KubeEmulator

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "eks"


def test_help_lists_the_eks_options() -> None:
    out = CliRunner().invoke(cli, ["run", "--help"]).output
    assert "--eks-backend [local|aws|kubeconfig|fake]" in out and "--eks-kubeconfig NAME=CONTEXT" in out


def test_the_fake_backend_runs_the_lifecycle_sample() -> None:
    result = CliRunner().invoke(cli, ["run", str(SAMPLES / "cluster-lifecycle.json"), "--eks-backend", "fake",
                                      "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["status"] == "SUCCEEDED"
    assert out["output"]["deletedCluster"]["Cluster"]["Status"] == "DELETING"


def test_a_bad_kubeconfig_mapping_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["run", str(SAMPLES / "run-job.json"), "--eks-kubeconfig", "MyCluster"])
    assert result.exit_code == 2
    assert "--eks-kubeconfig 'MyCluster': expected NAME=CONTEXT" in result.output


def test_a_kubeconfig_context_runs_the_run_job_sample(kube_api: KubeEmulator, tmp_path: Path) -> None:
    config = kube_api.kubeconfig(tmp_path / "kubeconfig")
    kube_api.set_outcome("example-job", JobOutcome(log="42\n"))
    result = CliRunner(env={"KUBECONFIG": str(config)}).invoke(cli, [
        "run", str(SAMPLES / "run-job.json"), "--input", f"@{SAMPLES / 'run-job.input.json'}",
        "--eks-backend", "kubeconfig", "--eks-kubeconfig", f"MyCluster={kube_api.cluster_name}", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["status"] == "SUCCEEDED"
    assert list(out["output"]["logs"]["pods"].values())[0]["containers"]["pi-2000"]["log"] == 42
    assert kube_api.token not in result.output
