"""mTLS certificates of the organization and its projects (DESIGN.md fact 16).

Uploaded at organization level (at most 50, inactive on upload), activated and
deactivated per organization or per project in batches of 1 to 10 ids (idempotent),
deletable only when inactive everywhere. Rotation: upload, activate, deactivate the old
one, delete it. Certificate content is not a secret, but no method logs it or puts it in
an error message.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal, cast

from airflow_provider_openai_projects.client.errors import InvalidInputError
from airflow_provider_openai_projects.client.resources._base import EndpointCaller, body
from airflow_provider_openai_projects.client.resources._checks import non_empty_text, strings
from airflow_provider_openai_projects.client.resources.certificates_types import (
    Certificate,
    CertificateActivation,
    CertificateDeleted,
)

MAX_IDS_PER_BATCH = 10
_PEM_CERTIFICATE = re.compile(r"^\s*-----BEGIN CERTIFICATE-----\s*[A-Za-z0-9+/=\s]+-----END CERTIFICATE-----\s*$")


def check_pem_certificate(certificate: str) -> str:
    """``certificate`` if it is one PEM-encoded certificate block; else
    :class:`InvalidInputError` naming ``certificate`` (the message does not repeat it)."""
    if not isinstance(certificate, str) or not _PEM_CERTIFICATE.match(certificate):
        raise InvalidInputError(
            "certificate", "must be one PEM-encoded certificate (-----BEGIN CERTIFICATE----- ... -----END ...)"
        )
    return certificate


def _ids(certificate_ids: Sequence[str]) -> dict[str, list[str]]:
    return {"certificate_ids": strings(certificate_ids, "certificate_ids", 1, MAX_IDS_PER_BATCH)}


class CertificatesMixin(EndpointCaller):
    def list_organization_certificates(self) -> list[Certificate]:
        """Every certificate of the organization (newest first, the API's default order);
        ``active`` is for the organization. Never the content."""
        return cast(list[Certificate], self._list("list_organization_certificates"))

    def upload_certificate(self, *, certificate: str, name: str | None = None) -> Certificate:
        """Upload a PEM certificate; it starts inactive everywhere. Not idempotent (each
        upload is a new certificate): look for it by name before uploading again."""
        check_pem_certificate(certificate)
        if name is not None:
            non_empty_text(name, "name")
        fields = body(certificate=certificate, name=name)
        return cast(Certificate, self._call("upload_certificate", body=fields))

    def get_certificate(
        self, certificate_id: str, *, include: Sequence[Literal["content"]] | None = None
    ) -> Certificate:
        """One certificate, active or not; with ``include=["content"]`` its PEM content
        is in ``certificate_details.content``."""
        params = None
        if include:
            wanted = strings(include, "include")
            if any(value != "content" for value in wanted):
                raise InvalidInputError("include", "may only hold 'content'")
            params = {"include[]": wanted}
        return cast(Certificate, self._call("get_certificate", certificate_id, params=params))

    def update_certificate(self, certificate_id: str, *, name: str) -> Certificate:
        """Rename a certificate (only the name can change); idempotent."""
        non_empty_text(name, "name")
        return cast(Certificate, self._call("update_certificate", certificate_id, body={"name": name}))

    def delete_certificate(self, certificate_id: str) -> CertificateDeleted:
        """Delete a certificate that is inactive for the organization and every project
        (the API refuses otherwise)."""
        return cast(CertificateDeleted, self._call("delete_certificate", certificate_id))

    def activate_organization_certificates(self, *, certificate_ids: Sequence[str]) -> CertificateActivation:
        """Activate 1-10 certificates for the organization (idempotent)."""
        return cast(CertificateActivation, self._call("activate_organization_certificates", body=_ids(certificate_ids)))

    def deactivate_organization_certificates(self, *, certificate_ids: Sequence[str]) -> CertificateActivation:
        """Deactivate 1-10 certificates for the organization (idempotent)."""
        return cast(
            CertificateActivation, self._call("deactivate_organization_certificates", body=_ids(certificate_ids))
        )

    def list_project_certificates(self, project_id: str) -> list[Certificate]:
        """The organization's certificates as seen by a project: ``active`` for that project."""
        return cast(list[Certificate], self._list("list_project_certificates", project_id))

    def activate_project_certificates(
        self, project_id: str, *, certificate_ids: Sequence[str]
    ) -> CertificateActivation:
        """Activate 1-10 certificates for one project (idempotent)."""
        return cast(
            CertificateActivation,
            self._call("activate_project_certificates", project_id, body=_ids(certificate_ids)),
        )

    def deactivate_project_certificates(
        self, project_id: str, *, certificate_ids: Sequence[str]
    ) -> CertificateActivation:
        """Deactivate 1-10 certificates for one project (idempotent)."""
        return cast(
            CertificateActivation,
            self._call("deactivate_project_certificates", project_id, body=_ids(certificate_ids)),
        )
