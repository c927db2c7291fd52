"""The one schema base of every file Barrios reads (scenario, study and evidence files).

Strict pydantic models: unknown keys are errors, values are not coerced from other types
(an integer is accepted where a number is expected), infinities and NaN are refused, and a
validated model is frozen. ``experiments.files`` turns their validation errors into one
line naming the file, the key, what was expected and what was found.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)
