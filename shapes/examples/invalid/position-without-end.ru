# Invalid example for shp:PositionSelector-end: A position selector with no end.
#+ shape: shp:PositionSelector-end
#+ focus: ex:position-exact
#+ path: oa:end
PREFIX ex: <http://example.org/rkg/>
PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX rep: <https://w3id.org/repatriation-kg/ontology#>
PREFIX schema: <https://schema.org/>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
DELETE DATA { ex:position-exact oa:end 21 }
