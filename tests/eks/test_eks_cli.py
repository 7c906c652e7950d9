"""`aslrun run --eks-backend ... --eks-kubeconfig NAME=CONTEXT` through click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from aslrun.cli.main import cli
from aslrun.kube import JobOutcome, KubeEmulator

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "eks"


def test_help_lists_the_eks_options() -> None:
    out = CliRunner().invoke(cli, ["run", "--help"]).output
    assert "--eks-backend [local|aws|kubeconfig|fake]" in out and "--eks-kubeconfig NAME=CONTEXT" in out


SHARED = ["--clock", "--seed", "--no-history-limit", "--mock-config", "--test-case", "--hybrid", "--eks-backend",
          "--eks-kubeconfig", "--jobs"]


def _options(command: str) -> dict[str, str]:
    found = {}
    for param in cli.commands[command].params:
        for opt in param.opts:
            found[opt] = param.help or ""
    return found


def test_run_debug_and_test_state_take_the_same_execution_options() -> None:
    run, debug, test_state = _options("run"), _options("debug"), _options("test-state")
    for option in SHARED:
        assert option in run and option in debug and option in test_state, option
        assert run[option] == debug[option] == test_state[option], option  # one declaration, one help text
    assert "local (default" in run["--eks-backend"]


def test_debug_pauses_an_eks_workflow_on_the_local_backend_it_was_asked_for() -> None:
    result = CliRunner().invoke(cli, ["debug", str(SAMPLES / "run-job.json"), "--input",
                                      f"@{SAMPLES / 'run-job.input.json'}", "--eks-backend", "fake",
                                      "--break", "Run a job on EKS", "--commands", "-"],
                                input="continue\nwhere\ncontinue\n")
    assert result.exit_code == 0, result.output
    assert "Run a job on EKS" in result.output and "SUCCEEDED" in result.output


def test_an_option_that_does_not_apply_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["run", str(SAMPLES / "run-job.json"), "--eks-backend", "fake",
                                      "--jobs", "process"])
    assert result.exit_code == 2
    assert ("--jobs (how the local EKS runs Job containers) applies to the local backend only, not fake: drop it "
            "or choose the local backend") in " ".join(result.output.split())
    for command in (["debug", "--commands", "-"], ["test-state", "--state", "Run a job on EKS"]):
        result = CliRunner().invoke(cli, [command[0], str(SAMPLES / "run-job.json"), *command[1:],
                                          "--eks-kubeconfig", "C=ctx", "--eks-backend", "local"], input="")
        assert result.exit_code == 2, (command, result.output)
        said = " ".join(result.output.split())
        assert "--eks-kubeconfig (a kubeconfig context per cluster name) applies to the kubeconfig backend only, " \
               "not local" in said


def test_an_unknown_or_wrong_eks_setting_in_the_python_api_is_a_clear_failure() -> None:
    import aslrun

    machine = json.loads((SAMPLES / "run-job.json").read_text())
    inputs = json.loads((SAMPLES / "run-job.input.json").read_text())
    result = aslrun.run(machine, inputs, options={"eks.jobz": "process"})
    assert result.status == "FAILED" and result.error == "States.Runtime"
    assert "'eks.jobz' is not an EKS setting. Did you mean 'eks.jobs'?" in result.cause
    result = aslrun.run(machine, inputs, options={"eks.watch_timeout": "soon"})
    assert "eks.watch_timeout must be a number of seconds above 0, not 'soon'" in result.cause


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
