#!/usr/bin/env python3
"""Rewrite the farm templates the extension ships (addon/protocol/farm/templates/: Open Job Description
templates and Flamenco job type scripts) from the capabilities' parameter specs. A test fails while the
committed files differ from what this writes.

    .venv/bin/python scripts/setup/write_farm_templates.py
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import addon_path  # noqa: E402

if __name__ == "__main__":
    addon_path.install()
    from neural_render.protocol.farm import bundles
    print(bundles.write_shipped_templates())
