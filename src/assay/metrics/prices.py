"""The price of a generative model's tokens, as data: per model (an exact name or a glob such
as ``gpt-4o-2024-*``) and token kind, in a currency per million tokens.

A model the table does not price is *unpriced*: its responses are reported as such, never
priced at zero.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ModelPrice", "PriceTable"]


class ModelPrice(BaseModel):
    """What one model (or the models a glob matches) costs per million tokens."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(min_length=1, max_length=200, description="A model name or a glob.")
    input: float = Field(ge=0, allow_inf_nan=False, description="Per million input tokens.")
    output: float = Field(ge=0, allow_inf_nan=False, description="Per million output tokens.")


class PriceTable(BaseModel):
    """A price list: ``currency``, where the prices come from and when they were read, and a
    price per model. Exact names win over globs; among globs the first listed wins."""

    model_config = ConfigDict(extra="forbid")

    currency: str = Field(default="USD", min_length=1, max_length=10)
    source: str | None = Field(default=None, max_length=2000)
    as_of: str | None = Field(default=None, max_length=40)
    models: list[ModelPrice] = Field(default_factory=list, max_length=10_000)

    def price_of(self, model: str) -> ModelPrice | None:
        """The price that applies to ``model``, or None when the table has none."""
        for price in self.models:
            if price.model == model:
                return price
        for price in self.models:
            if any(c in price.model for c in "*?[") and fnmatchcase(model, price.model):
                return price
        return None

    def cost(self, model: str, input_tokens: int, output_tokens: int) -> float | None:
        """What a response of ``model`` with these token counts cost, or None when the model
        has no price."""
        price = self.price_of(model)
        if price is None:
            return None
        return (input_tokens * price.input + output_tokens * price.output) / 1_000_000
