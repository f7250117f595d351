# Apply one change atomically, guarded by the store version (optimistic concurrency): the
# first two operations of one request; the change's quads follow in apply_quads.ru
# operations of the same request, which write only if the second one wrote the record.
# Expects bound ?expected (xsd:integer; unbound: no version check), ?change (the change IRI),
# ?actor, ?reason (strings), ?time (xsd:dateTime), ?added, ?removed (xsd:integer), ?source
# (IRI, optional); every WHERE group gets the bindings. The CLEARED placeholder: a VALUES
# block of the named graphs to empty (?cleared; an empty block for none): their quads, blank
# nodes included, are removed by pattern, in an operation of their own (a template's ground
# quads are written once per solution: sharing an operation with the rows of a cleared graph
# would write every other quad once per row). The store node and the system graph are fixed
# IRIs. The store must have a version already (init_version.ru, run first under the same
# write lock).
PREFIX kg: <https://w3id.org/ilbirs/def/>
PREFIX prov: <http://www.w3.org/ns/prov#>
DELETE { GRAPH ?cleared { ?cs ?cp ?co } }
WHERE {
  GRAPH <https://w3id.org/ilbirs/graph/system> { <https://w3id.org/ilbirs/id/store> kg:version ?current }
  FILTER (!BOUND(?expected) || ?current = ?expected)
  %%CLEARED%%
  GRAPH ?cleared { ?cs ?cp ?co }
} ;
DELETE { GRAPH <https://w3id.org/ilbirs/graph/system> { <https://w3id.org/ilbirs/id/store> kg:version ?current } }
INSERT {
  GRAPH <https://w3id.org/ilbirs/graph/system> {
    <https://w3id.org/ilbirs/id/store> kg:version ?next .
    ?change a kg:Change ; kg:version ?next ; kg:actor ?actor ; kg:reason ?reason ;
      prov:endedAtTime ?time ; kg:triplesAdded ?added ; kg:triplesRemoved ?removed ; kg:fromSource ?source .
  }
}
WHERE {
  GRAPH <https://w3id.org/ilbirs/graph/system> { <https://w3id.org/ilbirs/id/store> kg:version ?current }
  FILTER (!BOUND(?expected) || ?current = ?expected)
  BIND (?current + 1 AS ?next)
}
