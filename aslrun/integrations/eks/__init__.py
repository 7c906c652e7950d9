"""The Amazon EKS integration: every ``arn:aws:states:::eks:*`` resource, against real or local clusters.

Registered through the ``aslrun.integrations`` entry point (``eks = aslrun.integrations.eks:EksIntegration``),
exactly as a third-party integration would be. Choose where calls go per run with the ``eks.backend``
option (``--eks-backend local|aws|kubeconfig|fake``, ``local`` by default); see :mod:`aslrun.integrations.eks.backends`.

Options (``Interpreter(options={...})``): ``eks.backend``, ``eks.endpoint_url`` (EKS API endpoint, e.g.
moto), ``eks.region``, ``eks.profile``, ``eks.kubeconfig`` ({cluster name: context}),
``eks.kubeconfig_file``, ``eks.poll_interval`` / ``eks.poll_max_interval`` / ``eks.poll_backoff``
(seconds; defaults 2, 30, 1.5), ``eks.watch`` (use the watch API, default true),
``eks.watch_timeout`` (seconds, default 20), ``eks.job_failed_error`` (default ``States.TaskFailed``).
"""

from __future__ import annotations

from aslrun.integrations.eks.actions import EksIntegration
from aslrun.integrations.eks.backends.fake import FakeBackend, FakeJob

__all__ = ["EksIntegration", "FakeBackend", "FakeJob"]
