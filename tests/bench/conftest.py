"""Unit tests of the testbed's pure parts (no namespaces, no root)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "mininet"))

