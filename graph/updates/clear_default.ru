# Empty the stored default graph, blank nodes included (removed by pattern), as one operation of
# a change: it follows apply_change.ru in the same request, and removes nothing when that
# request's version guard failed (no record of ?change was written). Queries see the union of
# all graphs as their default graph; updates and the Graph Store Protocol's ?default name the
# stored default graph, as Fuseki's and Oxigraph's union-default-graph modes do.
# Expects bound ?change. No PREFIX: it follows a ";".
DELETE { ?ds ?dp ?do }
WHERE {
  GRAPH <https://w3id.org/ilbirs/graph/system> { ?change <https://w3id.org/ilbirs/def/version> ?version }
  ?ds ?dp ?do
}
