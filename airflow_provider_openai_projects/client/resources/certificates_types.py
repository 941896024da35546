"""Typed shapes of mTLS certificates (the spec's ``Certificate`` and its list forms)."""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict


class CertificateDetails(TypedDict):
    valid_at: NotRequired[int]
    expires_at: NotRequired[int]
    content: NotRequired[str]


class Certificate(TypedDict):
    """Upload, get and rename answer this; ``active`` is for the organization (or, in a
    project's list, for that project)."""

    object: str
    id: str
    name: str | None
    created_at: int
    certificate_details: CertificateDetails
    active: NotRequired[bool]


class CertificateActivation(TypedDict):
    """``organization[.project].certificate.(de)activation`` with the certificates changed."""

    object: str
    data: list[Certificate]


class CertificateDeleted(TypedDict):
    object: Literal["certificate.deleted"]
    id: str
