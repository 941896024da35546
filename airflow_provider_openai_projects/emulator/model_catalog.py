"""The model catalog: what ``GET /v1/models`` lists and which rate limits a project gets.

Every project owns one rate limit per catalog model (id ``rl-<model>``), starting at the
model's default limits. Pass your own catalog to :class:`EmulatorState` (``models=``), for
example :func:`synthetic_catalog` for benchmarks that need many models.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

#: The per-model limit fields of the spec's ``ProjectRateLimit``, in display order.
RATE_LIMIT_FIELDS = (
    "max_requests_per_1_minute",
    "max_tokens_per_1_minute",
    "max_images_per_1_minute",
    "max_audio_megabytes_per_1_minute",
    "max_requests_per_1_day",
    "batch_1_day_max_input_tokens",
)
#: Fields every rate limit has (the spec requires them).
REQUIRED_RATE_LIMIT_FIELDS = ("max_requests_per_1_minute", "max_tokens_per_1_minute")


@dataclass(frozen=True)
class ModelSpec:
    """One model: its id, ``GET /v1/models`` metadata and default project rate limits.

    ``limits`` must contain :data:`REQUIRED_RATE_LIMIT_FIELDS` and only names from
    :data:`RATE_LIMIT_FIELDS`; a field absent from ``limits`` does not apply to the model
    (for example ``max_images_per_1_minute`` exists only for image models).
    """

    id: str
    limits: Mapping[str, int] = field(default_factory=dict)
    created: int = 1_700_000_000
    owned_by: str = "system"

    def __post_init__(self) -> None:
        missing = [f for f in REQUIRED_RATE_LIMIT_FIELDS if f not in self.limits]
        unknown = [f for f in self.limits if f not in RATE_LIMIT_FIELDS]
        if missing or unknown:
            raise ValueError(f"model {self.id!r}: missing limits {missing}, unknown limits {unknown}")


def _chat(rpm: int, tpm: int, batch: int) -> dict[str, int]:
    return {"max_requests_per_1_minute": rpm, "max_tokens_per_1_minute": tpm, "batch_1_day_max_input_tokens": batch}


#: About a dozen current models with plausible usage-tier-2 limits.
DEFAULT_MODELS: tuple[ModelSpec, ...] = (
    ModelSpec("gpt-4o", _chat(5_000, 450_000, 1_350_000), created=1_715_367_049),
    ModelSpec("gpt-4o-mini", _chat(5_000, 2_000_000, 20_000_000), created=1_721_172_741),
    ModelSpec("gpt-4.1", _chat(5_000, 450_000, 1_350_000), created=1_744_316_542),
    ModelSpec("gpt-4.1-mini", _chat(5_000, 2_000_000, 20_000_000), created=1_744_318_173),
    ModelSpec("gpt-4.1-nano", _chat(5_000, 2_000_000, 20_000_000), created=1_744_321_707),
    ModelSpec("o3", _chat(5_000, 450_000, 1_350_000), created=1_744_225_308),
    ModelSpec("o4-mini", _chat(5_000, 2_000_000, 20_000_000), created=1_744_225_351),
    ModelSpec("gpt-5", _chat(5_000, 450_000, 1_350_000), created=1_754_425_777),
    ModelSpec("gpt-5-mini", _chat(5_000, 2_000_000, 20_000_000), created=1_754_425_928),
    ModelSpec(
        "text-embedding-3-small",
        {**_chat(5_000, 1_000_000, 20_000_000), "max_requests_per_1_day": 100_000},
        created=1_705_948_997,
    ),
    ModelSpec(
        "dall-e-3",
        {"max_requests_per_1_minute": 500, "max_tokens_per_1_minute": 150_000, "max_images_per_1_minute": 7},
        created=1_698_785_189,
    ),
    ModelSpec(
        "whisper-1",
        {
            "max_requests_per_1_minute": 500,
            "max_tokens_per_1_minute": 150_000,
            "max_audio_megabytes_per_1_minute": 100,
        },
        created=1_677_532_384,
        owned_by="openai-internal",
    ),
)


def synthetic_catalog(count: int) -> tuple[ModelSpec, ...]:
    """``count`` chat-like models named ``model-0000``, ``model-0001``... (for benchmarks)."""
    return tuple(ModelSpec(f"model-{i:04d}", _chat(500, 200_000, 1_000_000)) for i in range(count))
