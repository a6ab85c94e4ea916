"""Entry point for `mn --custom mininet/topos.py --topo star,9` (or dumbbell,
fattree).  The fat-tree also needs its static routes:
see dctestbed.topo.FatTreeTopo.install_routes."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dctestbed.topo import TOPOS as topos  # noqa: E402,F401
