# Give the store a version (0) if it has none yet, so that apply_change.ru can match it with a
# plain pattern. Idempotent.
# Virtuoso 7 gets a group with no triple pattern of its own wrong (OPTIONAL on it gives no
# solution, FILTER NOT EXISTS on it passes always); the one-row VALUES gives it that pattern.
PREFIX kg: <https://w3id.org/ilbirs/def/>
INSERT { GRAPH <https://w3id.org/ilbirs/graph/system> { <https://w3id.org/ilbirs/id/store> kg:version 0 } }
WHERE {
  VALUES ?once { 1 }
  FILTER NOT EXISTS { GRAPH <https://w3id.org/ilbirs/graph/system> { <https://w3id.org/ilbirs/id/store> kg:version ?any } }
}
