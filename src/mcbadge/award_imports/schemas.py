"""What the award-import routes answer (the command line prints the same)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ImportState = Literal["queued", "running", "done", "failed", "interrupted"]


class ImportRead(BaseModel):
    """One run of an award file: where it is, and its result once done."""

    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID
    status: ImportState = Field(description="queued, running, done, failed; or interrupted: it stopped without "
                                            "finishing (the process ended). Post the same file again to finish it: "
                                            "rows already awarded are not awarded twice.")
    via: Literal["api", "cli"]
    filename: str | None
    file_sha256: str = Field(description="SHA-256 (hex) of the file as received.")
    total_rows: int
    processed_rows: int = Field(description="Rows decided so far (awarded, found awarded already, or refused).")
    awarded: int
    already_awarded: int = Field(description="Rows awarded by an earlier run of a file with the same rows.")
    refused: int
    progress: float = Field(description="processed_rows / total_rows, from 0 to 1.")
    rate_per_second: float | None = Field(description="Rows decided per second since the run started.")
    eta_seconds: float | None = Field(description="At that rate, seconds until the run is done.")
    error: str | None = Field(description="Why a failed run stopped (the rows it committed stay awarded).")
    created_at: datetime
    finished_at: datetime | None
    result_url: str | None = Field(description="The result CSV (a line per row: its credential or why it was "
                                               "refused), once done.")
