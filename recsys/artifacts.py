"""Model artifacts: one directory per trained model, written by training, read by servers.

A directory holds ``model.npz`` (the :class:`~recsys.recommender.Recommender` state),
``ids.npz`` (the source's user and item ids in dense-index order), ``user_items.npz``
(the training matrix, so a server can filter what a listener already knows and score
item-kNN), optionally ``serving.npz`` (what a server needs beyond the model,
:mod:`recsys.serving`) and ``meta.json``: parameters, data window, metrics and the sha256 of every
``.npz``. Nothing is pickled. A directory is written under a temporary name and renamed
into place, so a reader never sees half an artifact; :func:`load_artifact` refuses one
whose files do not match their checksums.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import uuid
import zipfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from recsys.errors import CorruptArtifact, ModelFileError
from recsys.interactions import IdMap
from recsys.params import params_dict
from recsys.recommender import Recommender
from recsys.serving import ServingExtras

ARTIFACT_VERSION = 1
META = "meta.json"
FILES = ("model.npz", "ids.npz", "user_items.npz")
SERVING = "serving.npz"  # optional: absent where the source names no artists


@dataclass(frozen=True)
class DataWindow:
    """What a model was trained on: event times (Unix seconds) and counts."""

    since: float | None
    until: float | None
    events: int
    users: int
    items: int


@dataclass(frozen=True, eq=False)
class Artifact:
    """A loaded artifact: the fitted model and what a server needs around it."""

    path: Path
    model: Recommender
    user_ids: IdMap
    item_ids: IdMap
    user_items: sp.csr_matrix
    window: DataWindow
    metrics: dict[str, Any]
    checksum: str
    meta: dict[str, Any] = field(default_factory=dict)
    serving: ServingExtras | None = None


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync(path: Path) -> None:
    """Flush a file or directory to disk. The version row that names an artifact is
    committed right after it is written; without this a power cut could leave that row
    pointing at files the page cache never wrote (``load_artifact`` would refuse them,
    but the version would be lost). Costs about 0.1 s for a 5M-event model."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def combined_checksum(files: dict[str, str]) -> str:
    """One sha256 over the per-file checksums, the artifact's identity in the store."""
    text = "".join(f"{name}:{files[name]}\n" for name in sorted(files))
    return hashlib.sha256(text.encode()).hexdigest()


def write_artifact(
    root: Path,
    model: Recommender,
    *,
    user_ids: IdMap,
    item_ids: IdMap,
    user_items: sp.csr_matrix,
    window: DataWindow,
    metrics: dict[str, Any],
    serving: ServingExtras | None = None,
) -> Artifact:
    """Write a new versioned directory under ``root`` and return it as loaded.

    The directory is named ``<family>-<UTC time>-<params hash>-<random>``.
    """
    root.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    name = f"{model.family}-{stamp}-{model.params_hash[:8]}-{uuid.uuid4().hex[:6]}"
    staging = Path(tempfile.mkdtemp(prefix=".tmp-", dir=root))
    try:
        model.save(staging / "model.npz")
        np.savez(staging / "ids.npz", allow_pickle=False, users=user_ids.ids, items=item_ids.ids)
        # uncompressed: zlib took 6 s of a 5M-event retrain for a 2.6x smaller file
        sp.save_npz(staging / "user_items.npz", sp.csr_matrix(user_items), compressed=False)
        names: tuple[str, ...] = FILES
        if serving is not None:
            serving.save(staging / SERVING)
            names = (*FILES, SERVING)
        files = {f: sha256_file(staging / f) for f in names}
        meta = {
            "artifact_version": ARTIFACT_VERSION,
            "family": model.family,
            "params": params_dict(model.params),
            "params_hash": model.params_hash,
            "window": asdict(window),
            "metrics": metrics,
            "files": files,
            "checksum": combined_checksum(files),
        }
        (staging / META).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
        for f in (*names, META, "."):
            _fsync(staging / f)
        final = root / name
        os.rename(staging, final)
        _fsync(root)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return Artifact(
        final, model, user_ids, item_ids, sp.csr_matrix(user_items), window, metrics,
        str(meta["checksum"]), meta, serving,
    )  # fmt: skip


def load_artifact(
    path: Path | str, *, checksum: str | None = None, root: Path | None = None
) -> Artifact:
    """Load and verify the artifact directory at ``path``.

    Parameters
    ----------
    checksum : str, optional
        The combined checksum recorded for this artifact elsewhere (the store); when
        given, the sidecar must carry the same one.
    root : Path, optional
        The models directory; when given, ``path`` must lie inside it once symlinks and
        ``..`` are resolved, so a tampered ``model_versions`` row cannot make a server
        read files from anywhere else.

    Raises
    ------
    CorruptArtifact
        A file is missing or unreadable, a checksum does not match, or ``path`` is
        outside ``root``.
    """
    path = Path(path)
    if root is not None and not path.resolve().is_relative_to(root.resolve()):
        raise CorruptArtifact(f"{path} is outside the models directory {root}")
    try:
        meta = json.loads((path / META).read_text())
        files: dict[str, str] = meta["files"]
        window = DataWindow(**meta["window"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CorruptArtifact(f"cannot read the sidecar of {path}: {exc}") from None
    if set(files) - {SERVING} != set(FILES):
        raise CorruptArtifact(f"{path}: the sidecar lists {sorted(files)}, not {list(FILES)}")
    for name, expected in files.items():
        try:
            actual = sha256_file(path / name)
        except OSError as exc:
            raise CorruptArtifact(f"cannot read {path / name}: {exc.strerror}") from None
        if actual != expected:
            raise CorruptArtifact(f"{path / name} does not match its checksum")
    if meta.get("checksum") != combined_checksum(files) or (
        checksum is not None and checksum != meta.get("checksum")
    ):
        raise CorruptArtifact(f"{path}: the artifact checksum does not match")
    try:
        model = Recommender.load(path / "model.npz")
        with np.load(path / "ids.npz", allow_pickle=False) as ids:
            users, items = IdMap(ids["users"]), IdMap(ids["items"])
        user_items = sp.csr_matrix(sp.load_npz(path / "user_items.npz"))
        serving = ServingExtras.load(path / SERVING) if SERVING in files else None
    except (ModelFileError, OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise CorruptArtifact(f"cannot load {path}: {exc}") from None
    if (
        user_items.shape != (len(users), len(items))
        or model.n_items != len(items)
        or (serving is not None and len(serving.item_artist) != len(items))
    ):
        raise CorruptArtifact(f"{path}: the model, ids and matrix disagree in shape")
    return Artifact(
        path, model, users, items, user_items, window, dict(meta.get("metrics", {})),
        str(meta["checksum"]), meta, serving,
    )  # fmt: skip
