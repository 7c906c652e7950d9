"""``aslrun cluster``: look at the local clusters of a running ``aslrun run`` (``--eks-backend local``)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from aslrun.cli.common import UsageGroup


@click.group(cls=UsageGroup)
def cluster() -> None:
    """The local EKS clusters of running `aslrun run` executions."""


@cluster.command("list")
def list_clusters() -> None:
    """Name, Kubernetes endpoint and process of every running local cluster."""
    from aslrun.integrations.eks.backends.local_registry import running_clusters

    found = running_clusters()
    if not found:
        click.echo("no local cluster is running (start one with `aslrun run` and an eks:* Task)", err=True)
        return
    for name, entry in sorted(found.items()):
        click.echo(f"{name}\t{entry['endpoint']}\tpid {entry.get('pid', '?')}")


@cluster.command("kubeconfig")
@click.argument("name")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the kubeconfig to this file (mode 0600) instead of printing it.")
@click.option("--namespace", "-n", default="default", show_default=True, help="The context's namespace.")
def kubeconfig(name: str, output: Path | None, namespace: str) -> None:
    """A kubeconfig for local cluster NAME of a running `aslrun run` (for kubectl)."""
    from aslrun.integrations.eks.backends import local_registry

    entry = local_registry.find_cluster(name)
    if entry is None:
        known = ", ".join(sorted(local_registry.running_clusters())) or "none"
        # a name that names nothing is bad usage (exit 2), like any other bad value
        raise click.BadParameter(f"no running local cluster named {name!r} (running: {known})", param_hint="NAME")
    text = local_registry.kubeconfig_text(name, entry, namespace)
    if output is None:
        click.echo(text, nl=False)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    click.echo(f"wrote {output}: kubectl --kubeconfig {output} get jobs,pods", err=True)
