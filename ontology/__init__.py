"""The Ilbirs ontology, installed as ``ilbirs.ontology`` so that it ships inside the wheel.

Not Python: Turtle files and SPARQL checks. Find them with ``ilbirs.graph.resources``.
"""
