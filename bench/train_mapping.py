"""Builds the paragraph → indicator model (``scoring/mapping_model.npz``) from labelled paragraphs.

    python -m bench.train_mapping [--realtext DIR] [--out PATH] [--c 4.0]

Training data, all labelled by paragraph:
- the team's own documents: ``bench/mapping_dev.toml`` and ``bench/mapping_heldout.toml``
  (indicators only; they carry no add-on labels, so they do not train 争优创新 / 违规失职)
  and the ``train`` documents of ``bench/mapping_phenomena.toml`` (written to reproduce what
  real reports do); ``bench/mapping_test.toml`` and the phenomena ``test`` documents are kept
  out, to measure on;
- the ``train`` split of the real-text set when its texts are in ``--realtext`` (see
  ``bench/realtext.py``); the ``dev`` and ``test`` splits are never trained on.

Each paragraph is read exactly as the scorer reads it at run time (``Scorer.walk`` and
``Scorer.model_inputs``), so the features match. Per label: a logistic regression
(scikit-learn, liblinear, fixed seed) over the paragraph's own features plus the
configuration features of that label; one shared regression over the configuration features
alone scores labels the model has never seen. Thresholds come from five-fold
cross-validation by document on the training data. The same inputs give the same file.

scikit-learn is a build-time dependency (requirements-dev.txt); the bot reads the file with
numpy alone.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import sys
import tomllib
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from bench.realtext import ADDON_LABELS, DEFAULT_DIR, rebuild
from bench.realtext_eval import source_paragraphs
from kaohe.config import load_config
from scoring.engine import Scorer, SourceParagraph
from scoring.mapping_model import CONFIG_FEATURES

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OWN_INDICATOR_ONLY = (HERE / "mapping_dev.toml", HERE / "mapping_heldout.toml")
PHENOMENA = HERE / "mapping_phenomena.toml"
OUT = ROOT / "scoring" / "mapping_model.npz"
MIN_DF = 2
FOLDS = 5


@dataclass(frozen=True)
class Example:
    document: str
    features: dict[str, float]
    config: dict[str, np.ndarray]     # label → configuration features
    labels: frozenset[str]
    addons_labelled: bool


def toml_documents(path: Path, split: str | None = None) -> list[tuple[str, str, list[SourceParagraph], dict]]:
    """(document id, category, paragraphs, ref → labels) of a team-written set."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    out = []
    for doc in data["documents"]:
        if split is not None and doc.get("split", "train") != split:
            continue
        paragraphs, gold = [], {}
        for i, block in enumerate(doc["blocks"], start=1):
            ref = f"{doc['id']}:{i}"
            if "heading" in block:
                paragraphs.append(SourceParagraph(ref, block["heading"], doc["id"], f"第{i}段", "heading"))
            else:
                paragraphs.append(SourceParagraph(ref, block["text"], doc["id"], f"第{i}段"))
                gold[ref] = frozenset(block["labels"])
        out.append((doc["id"], doc.get("category", "市直部门"), paragraphs, gold))
    return out


def examples_of(scorer: Scorer, doc_id: str, category: str, paragraphs: list[SourceParagraph],
                gold: dict, addons_labelled: bool, label_ids: list[str]) -> list[Example]:
    """The labelled paragraphs the scorer would hand to the model, as model inputs."""
    indicators = scorer.rules.indicators_for(category)
    by_id = {ind.id: ind for ind in indicators}
    out = []
    for step in scorer.walk(paragraphs, indicators):
        if step.reason is not None or step.paragraph.ref not in gold:
            continue
        text = scorer._without_keyword_runs(step.text)
        labels = [(label, by_id.get(label)) for label in label_ids]
        feats, config, _, _ = scorer.model_inputs(step, text, labels)
        out.append(Example(doc_id, feats, dict(zip(label_ids, config, strict=True)),
                           gold[step.paragraph.ref], addons_labelled))
    return out


def collect(scorer: Scorer, realtext: Path | None, label_ids: list[str]) -> tuple[list[Example], Counter]:
    examples: list[Example] = []
    counts: Counter = Counter()
    for path in OWN_INDICATOR_ONLY:
        for doc_id, category, paragraphs, gold in toml_documents(path):
            got = examples_of(scorer, doc_id, category, paragraphs, gold, False, label_ids)
            examples += got
            counts["own"] += len(got)
    if PHENOMENA.exists():
        for doc_id, category, paragraphs, gold in toml_documents(PHENOMENA, "train"):
            got = examples_of(scorer, doc_id, category, paragraphs, gold, True, label_ids)
            examples += got
            counts["phenomena"] += len(got)
    if realtext is not None and realtext.is_dir():
        sources, _ = rebuild(realtext)
        for source in sources:
            if source.split != "train":
                continue
            paragraphs, gold = source_paragraphs(source)
            got = examples_of(scorer, source.id, "市直部门", paragraphs, gold, True, label_ids)
            examples += got
            counts["real"] += len(got)
    return examples, counts


def design(examples: list[Example], vocab: dict[str, int], label: str):
    """The sparse design matrix for one label: own features, then its configuration features."""
    from scipy.sparse import csr_matrix

    rows, cols, vals = [], [], []
    width = len(vocab)
    for r, ex in enumerate(examples):
        for feat, value in ex.features.items():
            j = vocab.get(feat)
            if j is not None:
                rows.append(r)
                cols.append(j)
                vals.append(value)
        for k, value in enumerate(ex.config[label]):
            if value:
                rows.append(r)
                cols.append(width + k)
                vals.append(float(value))
    return csr_matrix((vals, (rows, cols)), shape=(len(examples), width + len(CONFIG_FEATURES)))


def fit(x, y, c: float):
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, solver="liblinear", class_weight="balanced", random_state=0,
                               max_iter=1000)
    model.fit(x, y)
    return model


def best_threshold(probs: np.ndarray, y: np.ndarray) -> float:
    """The cut-off with the best F1 on out-of-fold probabilities (0.5 when there is nothing to learn)."""
    if y.sum() == 0:
        return 0.5
    best, at = -1.0, 0.5
    for t in np.arange(0.20, 0.81, 0.025):
        pred = probs >= t
        tp = float((pred & (y == 1)).sum())
        f1 = 2 * tp / (pred.sum() + y.sum()) if pred.sum() + y.sum() else 0.0
        if f1 > best + 1e-9:
            best, at = f1, float(t)
    return round(at, 3)


def folds(examples: list[Example]) -> np.ndarray:
    """A fold per document (stable: by a hash of the document id)."""
    return np.array([int(hashlib.sha256(ex.document.encode()).hexdigest()[:8], 16) % FOLDS
                     for ex in examples])


def train(examples: list[Example], label_ids: list[str], c: float) -> dict[str, np.ndarray]:
    df: Counter = Counter()
    for ex in examples:
        df.update(ex.features.keys())
    vocab_list = sorted(f for f, n in df.items() if n >= MIN_DF)
    vocab = {f: i for i, f in enumerate(vocab_list)}
    text_w = np.zeros((len(vocab), len(label_ids)), np.float32)
    config_w = np.zeros((len(CONFIG_FEATURES), len(label_ids)), np.float32)
    bias = np.zeros(len(label_ids), np.float32)
    thresholds = np.full(len(label_ids), 0.5, np.float32)
    fold = folds(examples)
    for j, label in enumerate(label_ids):
        chosen = [i for i, ex in enumerate(examples) if ex.addons_labelled or label not in ADDON_LABELS]
        subset = [examples[i] for i in chosen]
        y = np.array([label in ex.labels for ex in subset], dtype=int)
        if y.sum() < 3:
            continue
        x = design(subset, vocab, label)
        model = fit(x, y, c)
        coef = model.coef_[0]
        text_w[:, j] = coef[:len(vocab)]
        config_w[:, j] = coef[len(vocab):]
        bias[j] = model.intercept_[0]
        oof = np.zeros(len(subset))
        sub_fold = fold[chosen]
        for k in range(FOLDS):
            test = sub_fold == k
            if test.sum() == 0 or y[~test].sum() == 0:
                continue
            oof[test] = fit(x[~test], y[~test], c).predict_proba(x[test])[:, 1]
        thresholds[j] = best_threshold(oof, y)
    # The shared model for labels never trained: configuration features alone, all indicators pooled.
    indicator_ids = [label for label in label_ids if label not in ADDON_LABELS]
    gx = np.array([ex.config[label] for ex in examples for label in indicator_ids], np.float32)
    gy = np.array([label in ex.labels for ex in examples for label in indicator_ids], dtype=int)
    generic = fit(gx, gy, 1.0)
    gfold = np.repeat(fold, len(indicator_ids))
    goof = np.zeros(len(gy))
    for k in range(FOLDS):
        test = gfold == k
        goof[test] = fit(gx[~test], gy[~test], 1.0).predict_proba(gx[test])[:, 1]
    return {
        "labels": np.array(label_ids), "vocabulary": np.array(vocab_list),
        "text_weights": text_w.astype(np.float16), "config_weights": config_w,
        "bias": bias, "thresholds": thresholds,
        "generic_weights": generic.coef_[0].astype(np.float32),
        "meta": np.array([generic.intercept_[0], best_threshold(goof, gy)], np.float32),
    }


def save(arrays: dict[str, np.ndarray], out: Path) -> str:
    """Write the model; its digest is over the arrays, so equal inputs give an equal file."""
    digest = hashlib.sha256()
    for key in sorted(arrays):
        digest.update(key.encode())
        digest.update(np.ascontiguousarray(arrays[key]).tobytes())
    arrays = dict(arrays, digest=np.array(digest.hexdigest()[:16]))
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    out.write_bytes(buffer.getvalue())
    return digest.hexdigest()[:16]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--realtext", default=str(DEFAULT_DIR), help="folder of the rebuilt real texts")
    parser.add_argument("--out", default=str(OUT))
    parser.add_argument("--config", default=str(ROOT / "config.toml"))
    parser.add_argument("--c", type=float, default=4.0, help="inverse regularisation strength")
    args = parser.parse_args(argv)
    config = load_config(args.config, with_model=False)  # the model is what this builds
    rules = replace(config.scoring, model_path="")
    scorer = Scorer(rules)
    label_ids = [ind.id for ind in rules.all_indicators()] + list(ADDON_LABELS)
    realtext = Path(args.realtext)
    if not realtext.is_dir():
        print(f"note: no real texts in {realtext}: training on the team's own paragraphs only")
    examples, counts = collect(scorer, realtext, label_ids)
    arrays = train(examples, label_ids, args.c)
    digest = save(arrays, Path(args.out))
    size = Path(args.out).stat().st_size
    print(f"{args.out}: {len(arrays['vocabulary'])} features, {size / 1024:.0f} KB, digest {digest}; "
          f"trained on {sum(counts.values())} paragraphs ({dict(counts)})")
    print("thresholds: " + ", ".join(f"{label} {t:.2f}" for label, t in zip(label_ids, arrays["thresholds"],
                                                                             strict=True)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
