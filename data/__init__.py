"""The curated Ilbirs dataset, installed as ``ilbirs.data`` so that it ships inside the wheel.

Not Python: one TriG file per source in ``sources/``. Find them with ``ilbirs.graph.resources``.
"""
