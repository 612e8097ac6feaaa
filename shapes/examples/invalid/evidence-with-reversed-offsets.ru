# Invalid example for shp:PositionSelector-start: A position selector whose start is after its end.
#+ shape: shp:PositionSelector-start
#+ focus: ex:position-exact
#+ path: oa:start
PREFIX ex: <http://example.org/rkg/>
PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX rep: <https://w3id.org/repatriation-kg/ontology#>
PREFIX schema: <https://schema.org/>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
DELETE DATA { ex:position-exact oa:start 10 } ;
INSERT DATA { ex:position-exact oa:start 30 }
