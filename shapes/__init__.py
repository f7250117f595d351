"""The Ilbirs SHACL shapes, installed as ``ilbirs.shapes`` so that they ship inside the wheel."""
