# Apply one change atomically, guarded by the store version (optimistic concurrency).
# Expects: the two placeholder blocks below, DELETE and INSERT (quads as RDF terms, built with
# rdflib's n3()), and bound ?expected (xsd:integer; unbound: no version check), ?change (the
# change IRI), ?actor, ?reason (strings), ?time (xsd:dateTime), ?added, ?removed (xsd:integer),
# ?source (IRI, optional). %%CLEARED%%: a VALUES block of the named graphs to empty
# (?cleared; an empty block for none): their quads, blank nodes included, are removed by
# pattern. The store node and the system graph are fixed IRIs. The store must have a version
# already (init_version.ru, run first under the same write lock).
PREFIX kg: <https://w3id.org/ilbirs/def/>
PREFIX prov: <http://www.w3.org/ns/prov#>
DELETE {
  GRAPH <https://w3id.org/ilbirs/graph/system> { <https://w3id.org/ilbirs/id/store> kg:version ?current }
  %%DELETE%%
  GRAPH ?cleared { ?cs ?cp ?co }
}
INSERT {
  GRAPH <https://w3id.org/ilbirs/graph/system> {
    <https://w3id.org/ilbirs/id/store> kg:version ?next .
    ?change a kg:Change ; kg:version ?next ; kg:actor ?actor ; kg:reason ?reason ;
      prov:endedAtTime ?time ; kg:triplesAdded ?added ; kg:triplesRemoved ?removed ; kg:fromSource ?source .
  }
  %%INSERT%%
}
WHERE {
  GRAPH <https://w3id.org/ilbirs/graph/system> { <https://w3id.org/ilbirs/id/store> kg:version ?current }
  FILTER (!BOUND(?expected) || ?current = ?expected)
  BIND (?current + 1 AS ?next)
  OPTIONAL { %%CLEARED%% GRAPH ?cleared { ?cs ?cp ?co } }
}
