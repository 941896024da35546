"""A key sink in AWS Secrets Manager (optional: ``pip install airflow-provider-openai-projects[aws]``).

Each entry is one secret, ``prefix + name``, whose current version (``AWSCURRENT``) holds
JSON ``{"api_key": <key>, **metadata}`` (the field :class:`~.variable.VariableKeySink` uses
too). Consumers read it with any AWS client, for example
``json.loads(client.get_secret_value(SecretId=name)["SecretString"])["api_key"]``, or in an
Airflow task with ``AwsSecretsManagerKeySink(...).load(name).value`` (which masks it).

boto3 is imported only when the sink is first used, so DAG files that build the sink parse
without it and importing :mod:`airflow_provider_openai_projects.sinks` never loads boto3.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from airflow_provider_openai_projects.sinks.base import StoredKey

#: What Secrets Manager accepts in a secret name (1 to 512 characters).
_SECRET_NAME = re.compile(r"[A-Za-z0-9/_+=.@-]{1,512}")

KEY_FIELD = "api_key"
"""The JSON field of the key (a name Airflow's masker treats as sensitive)."""

INSTALL_HINT = "pip install 'airflow-provider-openai-projects[aws]'"


class AwsSecretsManagerKeySink:
    """Stores each key as one AWS Secrets Manager secret holding JSON ``{"api_key": ..., **metadata}``.

    :param client: a boto3 ``secretsmanager`` client, for example
        ``SecretsManagerHook(aws_conn_id="aws_default").get_conn()`` from the Amazon provider.
        Default: ``boto3.client("secretsmanager", region_name=..., endpoint_url=...)``, made on
        first use with the standard AWS credential chain.
    :param region_name: the region of the default client.
    :param endpoint_url: the endpoint of the default client (a VPC endpoint, a local stand-in).
    :param prefix: prepended to every entry name, for example ``"airflow/openai/"``.

    Contract (:mod:`airflow_provider_openai_projects.sinks.base`):

    - ``store`` registers the value with Airflow's masker, writes a new version of the secret
      (creating the secret if it does not exist, restoring it if it is scheduled for
      deletion), then reads the current version back and raises unless it holds exactly what
      was written. A new version is atomic for readers: they see the old one or the new one.
      Permissions needed: ``secretsmanager:PutSecretValue``, ``CreateSecret``,
      ``GetSecretValue``, ``DescribeSecret``, ``RestoreSecret`` and ``DeleteSecret`` on the prefix.
    - ``load`` returns the current version, or ``None`` only if the secret does not exist or
      is scheduled for deletion. Every other failure raises (access denied, KMS, network): a
      failed read never looks like "nothing stored", which would make the operators replace a
      live service account as keyless. A secret that exists but does not hold an entry written
      by this sink raises as well, so it is never overwritten by mistake.
    - ``delete`` deletes the secret without a recovery window; a missing secret is fine.
    - The value never appears in an exception message, a log line or ``repr``; exceptions
      name the secret and the AWS error code.
    """

    #: Seconds to wait between tries of re-creating a secret whose forced deletion is still
    #: in progress (AWS deletes asynchronously and asks callers to back off and retry).
    recreate_waits: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0)

    def __init__(
        self,
        *,
        client: Any = None,
        region_name: str | None = None,
        endpoint_url: str | None = None,
        prefix: str = "",
    ) -> None:
        if not isinstance(prefix, str) or (prefix and not _SECRET_NAME.fullmatch(prefix)):
            from airflow_provider_openai_projects.client.errors import InvalidInputError

            raise InvalidInputError(
                "prefix", f"may hold only letters, digits and '/_+=.@-' (an AWS secret name), got {prefix!r}"
            )
        self.prefix = prefix
        self.region_name = region_name
        self.endpoint_url = endpoint_url
        self._client = client
        self._lock = threading.Lock()

    # -- the KeySink protocol ---------------------------------------------------------------

    def store(self, name: str, value: str, metadata: Mapping[str, Any]) -> None:
        from airflow.sdk.log import mask_secret

        if not isinstance(value, str) or not value:
            raise ValueError(f"the key to store at {name!r} must be a non-empty string")
        mask_secret(value)
        if KEY_FIELD in metadata:
            raise ValueError(f"the metadata stored with {name!r} must not have a {KEY_FIELD!r} field")
        secret_id = self.secret_name(name)
        payload = json.dumps({KEY_FIELD: value, **metadata})
        with self._scrubbed(value, f"storing the key in secret {secret_id!r}"):
            self._write(secret_id, payload)
            current = self._read_back(secret_id)
        if current != payload:
            raise OSError(
                f"the key was not stored: the current version of secret {secret_id!r} does not hold it "
                "after writing it (another writer, or a write that did not take effect)"
            )

    def load(self, name: str) -> StoredKey | None:
        from airflow.sdk.log import mask_secret

        secret_id = self.secret_name(name)
        try:
            response = self.client.get_secret_value(SecretId=secret_id)
        except Exception as exc:
            code = _error_code(exc)
            if code == "ResourceNotFoundException":
                return None
            if code == "InvalidRequestException" and self._scheduled_for_deletion(secret_id):
                return None
            raise
        raw = response.get("SecretString")
        try:
            payload = json.loads(raw) if isinstance(raw, str) else None
        except ValueError:
            payload = None
        if not isinstance(payload, dict) or not isinstance(payload.get(KEY_FIELD), str):
            raise ValueError(
                f"secret {secret_id!r} exists but does not hold a key stored by this sink "
                f"(JSON with a string {KEY_FIELD!r}); refusing to treat it as empty"
            )
        value = payload.pop(KEY_FIELD)
        mask_secret(value)
        return StoredKey(value=value, metadata=payload)

    def delete(self, name: str) -> None:
        secret_id = self.secret_name(name)
        try:
            self.client.delete_secret(SecretId=secret_id, ForceDeleteWithoutRecovery=True)
        except Exception as exc:
            if _error_code(exc) != "ResourceNotFoundException":
                raise

    # -- helpers ----------------------------------------------------------------------------

    @property
    def client(self) -> Any:
        """The boto3 client given, or one made on first use."""
        with self._lock:
            if self._client is None:
                try:
                    import boto3
                except ImportError as exc:
                    raise ImportError(
                        f"AwsSecretsManagerKeySink needs boto3, which is not installed: {INSTALL_HINT}"
                    ) from exc
                self._client = boto3.client(
                    "secretsmanager", region_name=self.region_name, endpoint_url=self.endpoint_url
                )
            return self._client

    def secret_name(self, name: str) -> str:
        """The secret that holds entry ``name`` (``prefix + name``); checked before any request."""
        full = f"{self.prefix}{name}" if isinstance(name, str) else None
        if full is None or not _SECRET_NAME.fullmatch(full):
            from airflow_provider_openai_projects.client.errors import InvalidInputError

            raise InvalidInputError(
                "secret_variable",
                f"{full if full is not None else name!r} is not a valid AWS Secrets Manager secret name: "
                "1 to 512 letters, digits and '/_+=.@-'",
            )
        return full

    def _write(self, secret_id: str, payload: str) -> None:
        """A new current version of ``secret_id`` holding ``payload``."""
        client = self.client
        try:
            client.put_secret_value(SecretId=secret_id, SecretString=payload)
            return
        except Exception as exc:
            code = _error_code(exc)
            if code == "InvalidRequestException" and self._restore_if_deleted(secret_id):
                client.put_secret_value(SecretId=secret_id, SecretString=payload)
                return
            if code != "ResourceNotFoundException":
                raise
        waits: Iterator[float] = iter(self.recreate_waits)
        while True:
            try:
                client.create_secret(
                    Name=secret_id,
                    SecretString=payload,
                    Description="OpenAI key stored by airflow-provider-openai-projects",
                )
                return
            except Exception as exc:
                code = _error_code(exc)
                if code == "ResourceExistsException":  # created meanwhile by another writer
                    client.put_secret_value(SecretId=secret_id, SecretString=payload)
                    return
                if code != "InvalidRequestException":
                    raise
                if self._restore_if_deleted(secret_id):
                    client.put_secret_value(SecretId=secret_id, SecretString=payload)
                    return
                wait = next(waits, None)
                if wait is None:
                    raise
                time.sleep(wait)  # a forced deletion of the same name is still in progress

    def _read_back(self, secret_id: str) -> Any:
        """The current version's string, after a write. A secret still scheduled for deletion
        (some implementations accept a new version on it) is restored and read again."""
        try:
            return self.client.get_secret_value(SecretId=secret_id).get("SecretString")
        except Exception as exc:
            if _error_code(exc) == "InvalidRequestException" and self._restore_if_deleted(secret_id):
                return self.client.get_secret_value(SecretId=secret_id).get("SecretString")
            raise

    def _scheduled_for_deletion(self, secret_id: str) -> bool:
        """Whether the secret exists with a deletion date (any error but not-found raises)."""
        try:
            described = self.client.describe_secret(SecretId=secret_id)
        except Exception as exc:
            if _error_code(exc) == "ResourceNotFoundException":
                return False
            raise
        return described.get("DeletedDate") is not None

    def _restore_if_deleted(self, secret_id: str) -> bool:
        """Cancel a scheduled deletion; ``True`` if the secret is usable again."""
        if not self._scheduled_for_deletion(secret_id):
            return False
        try:
            self.client.restore_secret(SecretId=secret_id)
        except Exception as exc:
            if _error_code(exc) in ("InvalidRequestException", "ResourceNotFoundException"):
                return False  # a forced deletion in progress: it cannot be restored
            raise
        return True

    @contextmanager
    def _scrubbed(self, value: str, doing: str) -> Iterator[None]:
        """Re-raise an exception whose text contains ``value`` as one that does not."""
        try:
            yield
        except Exception as exc:
            if value in str(exc) or value in repr(exc):
                raise OSError(
                    f"{doing} failed with {type(exc).__name__} (code {_error_code(exc)!r}); "
                    "its message is withheld because it contains the key"
                ) from None
            raise

    def __deepcopy__(self, memo: dict[int, Any]) -> AwsSecretsManagerKeySink:
        """Shared, not copied: Airflow deep-copies operator arguments, and boto3 clients
        cannot be copied (they are thread-safe to share)."""
        return self

    def __repr__(self) -> str:
        where = ", ".join(
            f"{attr}={getattr(self, attr)!r}"
            for attr in ("prefix", "region_name", "endpoint_url")
            if getattr(self, attr)
        )
        return f"AwsSecretsManagerKeySink({where})"


def _error_code(exc: BaseException) -> str | None:
    """The AWS error code of a botocore ``ClientError`` (``None`` for other exceptions)."""
    response = getattr(exc, "response", None)
    if isinstance(response, Mapping):
        error = response.get("Error")
        if isinstance(error, Mapping):
            code = error.get("Code")
            return code if isinstance(code, str) else None
    return None
