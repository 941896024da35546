"""mTLS certificates (``/organization/certificates``, ``/organization/projects/{id}/certificates``).

docs/design.md fact 16: uploaded at organization level (``{certificate: PEM, name?}``, at most
50 per organization, inactive on upload; the PEM is parsed for real: ``valid_at`` and
``expires_at`` are the certificate's own validity), read back with ``include[]=content``,
renamed, activated and deactivated per organization or per project in batches of 1-10 ids
(idempotent: activating an active certificate changes nothing), deleted only when inactive
for the organization and every project. A project's list shows every certificate of the
organization, ``active`` meaning active for that project. Error messages never repeat the
certificate's content.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict
from starlette.responses import JSONResponse

from airflow_provider_openai_projects.emulator.errors import ApiError, not_found
from airflow_provider_openai_projects.emulator.families._listing import chained as _next
from airflow_provider_openai_projects.emulator.families._listing import check_order, ordered_page, render_page
from airflow_provider_openai_projects.emulator.ids import random_id
from airflow_provider_openai_projects.emulator.pagination import OrderedStore
from airflow_provider_openai_projects.emulator.state.core import StateCore, check_name, locked

MAX_CERTIFICATES = 50
MAX_IDS_PER_BATCH = 10
INCLUDABLE = ("content",)


@dataclass
class Certificate:
    """One uploaded certificate and where it is active."""

    id: str
    name: str | None
    content: str
    created_at: int
    valid_at: int
    expires_at: int
    active_for_organization: bool = False
    active_projects: set[str] = field(default_factory=set)

    def details(self, with_content: bool = False) -> dict[str, Any]:
        details: dict[str, Any] = {"valid_at": self.valid_at, "expires_at": self.expires_at}
        return {**details, "content": self.content} if with_content else details

    def render(self, with_content: bool = False) -> dict[str, Any]:
        """The spec's ``Certificate`` (upload, get, modify)."""
        return {
            "object": "certificate",
            "id": self.id,
            "name": self.name,
            "created_at": self.created_at,
            "certificate_details": self.details(with_content),
            "active": self.active_for_organization,
        }

    def render_for_organization(self) -> dict[str, Any]:
        """The spec's ``OrganizationCertificate``."""
        return {**self.render(), "object": "organization.certificate"}

    def render_for_project(self, project_id: str) -> dict[str, Any]:
        """The spec's ``OrganizationProjectCertificate``: ``active`` for that project."""
        return {
            **self.render(),
            "object": "organization.project.certificate",
            "active": project_id in self.active_projects,
        }


def parse_pem_certificate(pem: str) -> tuple[int, int]:
    """``(valid_at, expires_at)`` of one PEM X.509 certificate; 400 naming ``certificate``
    for anything else (the message never repeats the input)."""
    from cryptography import x509  # lazy: only uploads need it

    if "-----BEGIN CERTIFICATE-----" not in pem or pem.count("-----BEGIN CERTIFICATE-----") != 1:
        raise ApiError(400, "Invalid 'certificate': expected one PEM-encoded X.509 certificate.", param="certificate")
    try:
        parsed = x509.load_pem_x509_certificate(pem.encode())
    except ValueError:
        raise ApiError(
            400, "Invalid 'certificate': the PEM block is not a parseable X.509 certificate.", param="certificate"
        ) from None
    return int(parsed.not_valid_before_utc.timestamp()), int(parsed.not_valid_after_utc.timestamp())


class CertificateOps(StateCore):
    """Organization and project certificates."""

    certificates: OrderedStore[Certificate]

    @locked
    def reset(self) -> None:
        super().reset()
        self.certificates = OrderedStore()

    def _certificate(self, certificate_id: str, param: str = "certificate_id") -> Certificate:
        certificate = self.certificates.get(certificate_id)
        if certificate is None:
            raise not_found("certificate", certificate_id, param)
        return certificate

    def _batch(self, certificate_ids: list[str]) -> list[Certificate]:
        if not 1 <= len(certificate_ids) <= MAX_IDS_PER_BATCH:
            raise ApiError(
                400,
                f"Invalid 'certificate_ids': give between 1 and {MAX_IDS_PER_BATCH} ids, got {len(certificate_ids)}.",
                param="certificate_ids",
            )
        unique = list(dict.fromkeys(certificate_ids))
        return [self._certificate(i, "certificate_ids") for i in unique]

    @locked
    def list_organization_certificates(
        self, limit: int = 20, after: str | None = None, order: str = "desc"
    ) -> dict[str, Any]:
        page = ordered_page(self.certificates, limit, after, check_order(order))
        return render_page(page, Certificate.render_for_organization)

    @locked
    def upload_certificate(self, certificate: str, name: str | None = None) -> dict[str, Any]:
        """Store a PEM certificate, inactive everywhere (not idempotent: each upload is new)."""
        if name is not None:
            check_name(name)
        valid_at, expires_at = parse_pem_certificate(certificate)
        if sum(1 for _ in self.certificates) >= MAX_CERTIFICATES:
            raise ApiError(
                400,
                f"This organization already has {MAX_CERTIFICATES} certificates, the most it may have; "
                "delete one first.",
                param="certificate",
            )
        record = Certificate(random_id("cert_"), name, certificate, self.now(), valid_at, expires_at)
        self.certificates.add(record.id, record)
        return record.render()

    @locked
    def get_certificate(self, certificate_id: str, include: list[str] | None = None) -> dict[str, Any]:
        """The certificate without ``active`` (the spec: "Not returned when getting details for
        a specific certificate"); its PEM content only with ``include=["content"]``."""
        for value in include or []:
            if value not in INCLUDABLE:
                raise ApiError(400, f"Invalid 'include': '{value}'. Must be one of 'content'.", param="include")
        rendered = self._certificate(certificate_id).render(with_content="content" in (include or []))
        del rendered["active"]  # the spec: "Not returned when getting details for a specific certificate"
        return rendered

    @locked
    def update_certificate(self, certificate_id: str, name: str | None = None) -> dict[str, Any]:
        """Rename (only the name can change); ``None`` leaves it as is."""
        certificate = self._certificate(certificate_id)
        if name is not None:
            check_name(name)
            certificate.name = name
        return certificate.render()

    @locked
    def delete_certificate(self, certificate_id: str) -> dict[str, Any]:
        """Delete a certificate inactive for the organization and every project (else 400)."""
        certificate = self._certificate(certificate_id)
        where = (["the organization"] if certificate.active_for_organization else []) + sorted(
            certificate.active_projects
        )
        if where:
            raise ApiError(
                400,
                f"Certificate '{certificate_id}' is still active for {', '.join(where)}; "
                "deactivate it everywhere before deleting it.",
                param="certificate_id",
            )
        self.certificates.remove(certificate_id)
        note = {"name": certificate.name, "certificate": certificate.content}
        self.audit_notes[("certificate.deleted", certificate_id)] = {k: v for k, v in note.items() if v is not None}
        return {"object": "certificate.deleted", "id": certificate_id}

    @locked
    def set_organization_certificates_active(self, certificate_ids: list[str], active: bool) -> dict[str, Any]:
        """Activate or deactivate 1-10 certificates for the organization (idempotent)."""
        batch = self._batch(certificate_ids)
        for certificate in batch:
            certificate.active_for_organization = active
        kind = "activation" if active else "deactivation"
        return {
            "object": f"organization.certificate.{kind}",
            "data": [c.render_for_organization() for c in batch],
        }

    @locked
    def list_project_certificates(
        self, project_id: str, limit: int = 20, after: str | None = None, order: str = "desc"
    ) -> dict[str, Any]:
        project = self._active_project(project_id)
        page = ordered_page(self.certificates, limit, after, check_order(order))
        return render_page(page, lambda c: c.render_for_project(project.id))

    @locked
    def set_project_certificates_active(
        self, project_id: str, certificate_ids: list[str], active: bool
    ) -> dict[str, Any]:
        """Activate or deactivate 1-10 certificates for one project (idempotent)."""
        project = self._active_project(project_id)
        batch = self._batch(certificate_ids)
        for certificate in batch:
            if active:
                certificate.active_projects.add(project.id)
            else:
                certificate.active_projects.discard(project.id)
        kind = "activation" if active else "deactivation"
        return {
            "object": f"organization.project.certificate.{kind}",
            "data": [c.render_for_project(project.id) for c in batch],
        }

    @locked
    def snapshot(self) -> dict[str, Any]:
        certificates = [{**c.render(), "active_projects": sorted(c.active_projects)} for c in self.certificates]
        return {**_next(super()).snapshot(), "certificates": certificates}


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class UploadCertificateRequest(_Body):
    certificate: str
    name: str | None = None


class ModifyCertificateRequest(_Body):
    name: str | None = None


class ToggleCertificatesRequest(_Body):
    certificate_ids: list[str]


def routes(state: CertificateOps) -> APIRouter:
    router = APIRouter(prefix="/v1")
    project = "/organization/projects/{project_id}/certificates"

    @router.get("/organization/certificates")
    async def list_certificates(limit: int = 20, after: str | None = None, order: str = "desc") -> JSONResponse:
        return JSONResponse(state.list_organization_certificates(limit, after, order))

    @router.post("/organization/certificates")
    async def upload(body: UploadCertificateRequest) -> JSONResponse:
        return JSONResponse(state.upload_certificate(body.certificate, body.name))

    @router.post("/organization/certificates/activate")
    async def activate(body: ToggleCertificatesRequest) -> JSONResponse:
        return JSONResponse(state.set_organization_certificates_active(body.certificate_ids, True))

    @router.post("/organization/certificates/deactivate")
    async def deactivate(body: ToggleCertificatesRequest) -> JSONResponse:
        return JSONResponse(state.set_organization_certificates_active(body.certificate_ids, False))

    @router.get("/organization/certificates/{certificate_id}")
    async def get(
        certificate_id: str,
        include: Annotated[list[str] | None, Query()] = None,
        include_brackets: Annotated[list[str] | None, Query(alias="include[]")] = None,
    ) -> JSONResponse:
        """``include`` may come repeated or in the brackets form (``include[]=content``)."""
        wanted = [*(include or []), *(include_brackets or [])]
        return JSONResponse(state.get_certificate(certificate_id, wanted))

    @router.post("/organization/certificates/{certificate_id}")
    async def modify(certificate_id: str, body: ModifyCertificateRequest) -> JSONResponse:
        return JSONResponse(state.update_certificate(certificate_id, body.name))

    @router.delete("/organization/certificates/{certificate_id}")
    async def delete(certificate_id: str) -> JSONResponse:
        return JSONResponse(state.delete_certificate(certificate_id))

    @router.get(project)
    async def list_for_project(
        project_id: str, limit: int = 20, after: str | None = None, order: str = "desc"
    ) -> JSONResponse:
        return JSONResponse(state.list_project_certificates(project_id, limit, after, order))

    @router.post(project + "/activate")
    async def activate_for_project(project_id: str, body: ToggleCertificatesRequest) -> JSONResponse:
        return JSONResponse(state.set_project_certificates_active(project_id, body.certificate_ids, True))

    @router.post(project + "/deactivate")
    async def deactivate_for_project(project_id: str, body: ToggleCertificatesRequest) -> JSONResponse:
        return JSONResponse(state.set_project_certificates_active(project_id, body.certificate_ids, False))

    return router
