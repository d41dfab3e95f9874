"""branchmark: ground truth and model prediction sets side by side, evaluated exactly and fast.

``import branchmark as bm``; the public names are listed in ``__all__`` (a test pins them).
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
