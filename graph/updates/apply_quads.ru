# One batch of a change's quads (the DELETE and INSERT placeholders: quads as RDF terms, built
# with rdflib's n3()), written only if the change's record exists: it follows apply_change.ru
# in the same request, and writes nothing when that request's version guard failed.
# Expects bound ?change. Batches keep each operation small (Virtuoso 7 refuses an operation
# whose generated SQL exceeds 10,000 lines: about 2,000 quads). No PREFIX: it follows a ";".
DELETE { %%DELETE%% }
INSERT { %%INSERT%% }
WHERE { GRAPH <https://w3id.org/ilbirs/graph/system> { ?change <https://w3id.org/ilbirs/def/version> ?version } }
