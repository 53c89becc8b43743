"""Finding an official seal (公章) on a page image: a red ring or oval about 4 cm across.

The 实施细则 asks units to send "盖章页扫描件的PDF文件" beside the editable report, so a scan
of a stamped page is a common upload. It has little text and no evidence: the upload path
records it as the unit's 盖章页 instead of scoring it as thin material (``ParsedDocument
.seal_page``). A scanner set to black and white loses the red, and then the page is read as
any other scanned page.

Only numpy and Pillow: the page is shrunk to about 300 px on its long side, strongly red
pixels are marked, and the marked cells are grouped into connected regions; a region the
size of a seal (8–45% of the page's width), about as tall as wide, and hollow (a ring with
text inside, not a red block such as a 红头 title band or a logo) is a seal.
"""

from __future__ import annotations

SIDE = 300  # pixels on the page's long side while looking
MIN_WIDTH, MAX_WIDTH = 0.08, 0.45  # a seal's width as a share of the page's
MAX_ASPECT = 1.7  # width / height (oval seals included) and its inverse
MAX_FILL = 0.7  # share of the region's box that is red: a ring with text, not a solid block
MIN_RED = 30  # red pixels on the shrunk page below which there is nothing to look at


def has_seal(image) -> bool:
    """Whether the page image (PIL) carries a red seal."""
    import numpy as np
    from PIL import Image

    page = image.convert("RGB")
    scale = SIDE / max(page.size)
    if scale < 1:
        page = page.resize((max(1, round(page.width * scale)), max(1, round(page.height * scale))),
                           Image.Resampling.BOX)
    pixels = np.asarray(page).astype(np.int16)
    r, g, b = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    red = (r > 110) & (r - g > 50) & (r - b > 40)
    if int(red.sum()) < MIN_RED:
        return False
    # A ring's strokes are thin and broken by the text over them: join neighbours first.
    joined = red.copy()
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            joined |= np.roll(np.roll(red, dy, axis=0), dx, axis=1)
    width = page.width
    for top, left, bottom, right, count in _regions(joined, red):
        w, h = right - left + 1, bottom - top + 1
        if not MIN_WIDTH * width <= w <= MAX_WIDTH * width:
            continue
        if not 1 / MAX_ASPECT <= w / h <= MAX_ASPECT:
            continue
        if count / (w * h) <= MAX_FILL:
            return True
    return False


def _regions(mask, red):
    """Connected regions of ``mask`` as (top, left, bottom, right, red pixels inside)."""
    import numpy as np

    seen = np.zeros(mask.shape, dtype=bool)
    height, width = mask.shape
    for y, x in zip(*np.nonzero(mask), strict=True):
        if seen[y, x]:
            continue
        seen[y, x] = True
        stack = [(y, x)]
        top, left, bottom, right, count = y, x, y, x, 0
        while stack:
            cy, cx = stack.pop()
            count += bool(red[cy, cx])
            top, bottom = min(top, cy), max(bottom, cy)
            left, right = min(left, cx), max(right, cx)
            for ny, nx in ((cy - 1, cx), (cy + 1, cx), (cy, cx - 1), (cy, cx + 1)):
                if 0 <= ny < height and 0 <= nx < width and mask[ny, nx] and not seen[ny, nx]:
                    seen[ny, nx] = True
                    stack.append((ny, nx))
        yield int(top), int(left), int(bottom), int(right), count
