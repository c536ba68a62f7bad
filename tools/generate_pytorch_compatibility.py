"""Write docs/pytorch_compatibility.md from the code (minigrad.pytorch_api.render_markdown).

    python tools/generate_pytorch_compatibility.py
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "docs" / "pytorch_compatibility.md"

if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))  # this checkout's minigrad, not another installed one
    from minigrad.pytorch_api import render_markdown

    OUTPUT.write_text(render_markdown())
    print(f"wrote {OUTPUT}")
