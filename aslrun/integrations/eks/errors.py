"""Every failure of an ``eks:*`` task becomes an ASL error here, in one table.

=================================================  =======================  =========================================
what happened                                      error                    cause
=================================================  =======================  =========================================
Kubernetes answered non-2xx                        ``EKS.<status>``         ``{"ResponseBody", "StatusCode",
                                                                            "StatusText"}`` (JSON, as AWS documents)
EKS API error (botocore ``ClientError``,           ``EKS.<Code>``           ``<message> (Service: AmazonEKS; Status
:class:`EksApiError`)                                                       Code: N; Error Code: C; Request ID: …)``
parameters that cannot be used                     ``States.Runtime``       ``The Parameters '<json>' could not be
                                                                            used to start the Task: [<reason>]``
Job ended with a Failed condition;                 ``States.TaskFailed``    the final Job / resource as JSON
resource ended FAILED / CREATE_FAILED / …
no, partial, expired or refused AWS credentials;   ``States.Runtime``       what is wrong and how to fix it
no region; unusable AWS config or profile
TLS failure, connection refused, unusable          ``States.TaskFailed``    what failed and what to do
kubeconfig, anything else
=================================================  =======================  =========================================

The ``EKS.<status>`` and ``States.Runtime`` forms are AWS's; ``EKS.<Code>`` follows the other
optimized integrations (``SNS.NotFoundException``); the rest is aslrun's choice where AWS says
nothing. An AWS setup problem is ``States.Runtime``, the error no ``Retry`` or ``Catch`` handles
(``States.ALL`` excludes it): a retry cannot fix it, and a sample's ``Retry`` on ``States.ALL``
would otherwise wait out its back-off (30 s then 60 s) before failing with the same message. On
AWS the execution role always has credentials, so this failure has no AWS counterpart. Credentials
never appear in a cause: :func:`redact` removes bearer tokens.
"""

from __future__ import annotations

import json
import re
import ssl
from collections.abc import Mapping
from typing import Any

from aslrun.errors import StatesError
from aslrun.integrations.eks.backends.base import EksApiError, KubeResponse
from aslrun.integrations.eks.params import ParameterError
from aslrun.integrations.services import parameter_failure

__all__ = [
    "AWS_SETUP_ERROR",
    "JOB_FAILED_ERROR",
    "aws_setup_failure",
    "eks_api_failure",
    "kube_failure",
    "parameter_failure",
    "reason_phrase",
    "redact",
    "resource_failure",
    "translate",
]

#: the error a Job that ends with a Failed condition raises (AWS names none; siblings use this)
JOB_FAILED_ERROR = "States.TaskFailed"

#: the error of an AWS setup problem (credentials, region, config): one that retrying cannot fix
AWS_SETUP_ERROR = "States.Runtime"

#: AWS error codes that mean the caller's credentials are expired or not accepted
_CREDENTIAL_CODES = frozenset({"ExpiredToken", "ExpiredTokenException", "UnrecognizedClientException",
                               "InvalidClientTokenId", "InvalidSignatureException", "SignatureDoesNotMatch"})

#: how to fix any of them
_AWS_SETUP_FIX = ("Configure AWS credentials (aws configure, AWS_PROFILE, AWS_ACCESS_KEY_ID and "
                  "AWS_SECRET_ACCESS_KEY, or aws sso login) to reach real EKS with --eks-backend aws, or run "
                  "with --eks-backend local (the default) for the embedded local EKS.")

_SECRETS = re.compile(r"(k8s-aws-v1\.)[A-Za-z0-9_\-]+|(Bearer\s+)\S+")


def redact(text: str) -> str:
    """``text`` with bearer tokens replaced by ``<redacted>``."""
    return _SECRETS.sub(lambda m: (m.group(1) or m.group(2)) + "<redacted>", text)


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def kube_failure(resp: KubeResponse) -> StatesError:
    """A non-2xx Kubernetes answer -> ``EKS.<status>`` with AWS's cause JSON."""
    return StatesError(f"EKS.{resp.status}", _compact(
        {"ResponseBody": resp.json(), "StatusCode": resp.status, "StatusText": resp.reason or reason_phrase(resp.status)}))


def reason_phrase(status: int) -> str:
    """The standard HTTP reason phrase of ``status`` (``Not Found``)."""
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def eks_api_failure(code: str, message: str, status: int, request_id: str = "") -> StatesError:
    """An EKS API error -> ``EKS.<Code>`` with the AWS SDK's cause wording."""
    return StatesError(f"EKS.{code}", f"{message} (Service: AmazonEKS; Status Code: {status}; Error Code: {code}; "
                                      f"Request ID: {request_id}; Proxy: null)")


def resource_failure(description: Mapping[str, Any], error: str = JOB_FAILED_ERROR) -> StatesError:
    """A Job or EKS resource that ended failed -> ``States.TaskFailed`` with its final description as cause."""
    return StatesError(error, _compact(description))


def translate(exc: BaseException, what: str, parameters: Any = None) -> StatesError:
    """Any exception of a backend call -> the ASL error for it. ``what`` names the target in messages."""
    if isinstance(exc, StatesError):
        return exc
    if isinstance(exc, ParameterError):
        return parameter_failure(parameters, str(exc))
    if isinstance(exc, EksApiError):
        return eks_api_failure(exc.code, exc.message, exc.status, exc.request_id)
    for kind, handler in _table():
        if isinstance(exc, kind):
            found = handler(exc, what)
            return found if isinstance(found, StatesError) else StatesError("States.TaskFailed", redact(found))
    return StatesError("States.TaskFailed", redact(f"{what}: {type(exc).__name__}: {exc}"))


def aws_setup_failure(what: str, problem: str) -> StatesError:
    """An AWS setup problem -> ``States.Runtime`` saying what is wrong and how to fix it."""
    return StatesError(AWS_SETUP_ERROR, redact(f"{what}: {problem}. {_AWS_SETUP_FIX}"))


def _botocore_client_error(exc: Any, what: str) -> StatesError:
    error = exc.response.get("Error", {})
    meta = exc.response.get("ResponseMetadata", {})
    if error.get("Code") in _CREDENTIAL_CODES:
        return aws_setup_failure(what, f"AWS refused the credentials ({error.get('Code')}: "
                                       f"{error.get('Message', '')})")
    return eks_api_failure(error.get("Code", "Unknown"), error.get("Message", str(exc)),
                           meta.get("HTTPStatusCode", 400), meta.get("RequestId", ""))


def _table() -> list[tuple[type[BaseException] | tuple[type[BaseException], ...], Any]]:
    """(exception types, message builder) in the order they are tried."""
    from botocore import exceptions as bce
    from urllib3 import exceptions as u3

    from aslrun.integrations.eks.backends.kubeconfig import KubeconfigError

    def tls(exc: BaseException, what: str) -> str:
        return (f"{what}: the TLS connection failed: {_root(exc)}. The server's certificate must be signed by the "
                "CertificateAuthority given to the task (DescribeCluster certificateAuthority.data), and the "
                "Endpoint's host must be one the certificate names.")

    def connect(exc: BaseException, what: str) -> str:
        return f"{what}: could not connect: {_root(exc)}. Check the Endpoint and that the server is up."

    def setup(exc: BaseException, what: str) -> StatesError:
        if isinstance(exc, bce.NoCredentialsError):
            problem = f"no AWS credentials found ({exc})"
        elif isinstance(exc, bce.PartialCredentialsError):
            problem = f"the AWS credentials are incomplete ({exc})"
        elif isinstance(exc, bce.NoRegionError):
            problem = f"no AWS region is configured ({exc}): set AWS_REGION or the profile's region"
        elif isinstance(exc, (bce.ProfileNotFound, bce.InvalidConfigError)):
            problem = f"the AWS configuration cannot be used ({exc})"
        else:
            problem = f"the AWS credentials could not be loaded or have expired ({exc})"
        return aws_setup_failure(what, problem)

    return [
        (bce.ClientError, _botocore_client_error),
        ((bce.NoCredentialsError, bce.PartialCredentialsError, bce.NoRegionError, bce.CredentialRetrievalError,
          bce.TokenRetrievalError, bce.SSOError, bce.RefreshWithMFAUnsupportedError, bce.ProfileNotFound,
          bce.InvalidConfigError), setup),
        ((bce.EndpointConnectionError, bce.ConnectTimeoutError, bce.ReadTimeoutError), connect),
        ((u3.SSLError, ssl.SSLError), tls),
        (u3.MaxRetryError, lambda exc, what: tls(exc, what) if isinstance(exc.reason, u3.SSLError | ssl.SSLError)
            else connect(exc, what)),
        ((u3.NewConnectionError, u3.ProtocolError, u3.TimeoutError, ConnectionError, TimeoutError), connect),
        (KubeconfigError, lambda exc, what: f"{what}: {exc}"),
    ]


def _root(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)
    while isinstance(reason, BaseException) and getattr(reason, "reason", None) not in (None, reason) \
            and isinstance(getattr(reason, "reason", None), BaseException):
        reason = reason.reason  # type: ignore[attr-defined]
    return str(reason if isinstance(reason, BaseException) else exc)

