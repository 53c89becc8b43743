"""The trained paragraph → indicator model: what words alone cannot do.

A linear model per label over two kinds of features:

- the paragraph's own words (jieba words, Chinese character pairs, the words of the heading
  it stands under, the kinds of outcome figures it holds), learned from labelled real and
  team-written paragraphs (``python -m scoring.train``);
- how the office's configuration speaks of the label: hits of its keywords and strong
  keywords, its name, a heading naming it, words of its description. These come from
  ``config.toml`` at run time, so the office's words still change what is found, and a label
  the model was never trained on (a new indicator) is scored by the configuration features
  alone, through a model shared by all labels.

Pure numpy at run time: the model file is a small ``.npz`` shipped in the repository.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_HAS_DIGIT = re.compile(r"\d")
# Description words that say nothing about a topic.
_DESCRIPTION_STOP = frozenset("情况 工作 开展 方面 有关 相关 包括 以及 主要 进行 加强 推进 落实 单位 本单位 各项 等".split())
CONFIG_FEATURES = ("weak", "strong", "name", "heading", "description", "any")


def text_features(words: Iterable[str], text: str, heading_words: Iterable[str],
                  signal_kinds: Iterable[str]) -> dict[str, float]:
    """The paragraph's own features, each present once, scaled to unit length."""
    feats: set[str] = set()
    for word in words:
        if _HAS_DIGIT.search(word):
            feats.add("w:<数>")
        elif len(word) >= 2:
            feats.add("w:" + word)
    for run in _CJK_RUN.findall(text):
        feats.update("c:" + run[i:i + 2] for i in range(len(run) - 1))
    feats.update("h:" + w for w in heading_words if len(w) >= 2 and not _HAS_DIGIT.search(w))
    feats.update("s:" + kind for kind in signal_kinds)
    cjk = sum(len(run) for run in _CJK_RUN.findall(text))
    feats.add("len:" + ("<30" if cjk < 30 else "<80" if cjk < 80 else "<200" if cjk < 200 else "200+"))
    if not feats:
        return {}
    scale = 1.0 / math.sqrt(len(feats))
    return dict.fromkeys(feats, scale)


def description_words(description: str, segment) -> tuple[str, ...]:
    """Topic words of an indicator's description (jieba words of two or more characters)."""
    return tuple(sorted({w for w in segment(description) if len(w) >= 2 and w not in _DESCRIPTION_STOP
                         and not _HAS_DIGIT.search(w)}))


def config_features(weak: int, strong: int, named: bool, heading: bool, described: int) -> np.ndarray:
    """How the configuration speaks of one label in one paragraph (order: CONFIG_FEATURES)."""
    return np.array([math.log1p(weak), math.log1p(strong), float(named), float(heading),
                     math.log1p(described), float(weak + strong + named > 0)], dtype=np.float32)


@dataclass(frozen=True)
class MappingModel:
    """Weights per label over the shared vocabulary and the configuration features."""

    labels: tuple[str, ...]
    vocabulary: dict[str, int]
    text_weights: np.ndarray     # vocabulary × labels
    config_weights: np.ndarray   # CONFIG_FEATURES × labels
    bias: np.ndarray             # labels
    thresholds: np.ndarray       # labels
    generic_weights: np.ndarray  # CONFIG_FEATURES (labels the model was not trained on)
    generic_bias: float
    generic_threshold: float
    digest: str

    @classmethod
    def load(cls, path: str | Path) -> MappingModel:
        with np.load(path, allow_pickle=False) as data:
            vocab = [str(v) for v in data["vocabulary"]]
            meta = data["meta"]
            return cls(
                labels=tuple(str(v) for v in data["labels"]),
                vocabulary={w: i for i, w in enumerate(vocab)},
                text_weights=data["text_weights"].astype(np.float32),
                config_weights=data["config_weights"].astype(np.float32),
                bias=data["bias"].astype(np.float32),
                thresholds=data["thresholds"].astype(np.float32),
                generic_weights=data["generic_weights"].astype(np.float32),
                generic_bias=float(meta[0]), generic_threshold=float(meta[1]),
                digest=str(data["digest"]),
            )

    def knows(self, label: str) -> bool:
        return label in self.labels

    def probabilities(self, features: dict[str, float], labels: Sequence[str],
                      config: Sequence[np.ndarray]) -> list[tuple[float, float]]:
        """(probability, threshold) for each of ``labels``, given the paragraph's own
        ``features`` and each label's configuration features."""
        index = [self.vocabulary[f] for f in features if f in self.vocabulary]
        values = np.array([features[f] for f in features if f in self.vocabulary], dtype=np.float32)
        text = values @ self.text_weights[index] if index else np.zeros(len(self.labels), np.float32)
        out = []
        for label, cfg in zip(labels, config, strict=True):
            if label in self.labels:
                j = self.labels.index(label)
                z = float(text[j] + cfg @ self.config_weights[:, j] + self.bias[j])
                out.append((_sigmoid(z), float(self.thresholds[j])))
            else:
                z = float(cfg @ self.generic_weights + self.generic_bias)
                out.append((_sigmoid(z), self.generic_threshold))
        return out

    def top_words(self, features: dict[str, float], label: str, count: int = 3) -> tuple[str, ...]:
        """The paragraph's words that speak most for ``label`` (shown as the reason)."""
        if label not in self.labels:
            return ()
        j = self.labels.index(label)
        scored = [(float(self.text_weights[self.vocabulary[f], j]), f) for f in features
                  if f in self.vocabulary and f.startswith("w:")]
        scored.sort(reverse=True)
        return tuple(f[2:] for weight, f in scored[:count] if weight > 0)


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
