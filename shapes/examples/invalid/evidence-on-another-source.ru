# Invalid example for shp:QuotedClaim-ownSource: Evidence that points at a different text than the claim's source.
#+ shape: shp:QuotedClaim-ownSource
#+ focus: ex:claim-exact
#+ path: rep:evidence/oa:hasSource
PREFIX ex: <http://example.org/rkg/>
PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX rep: <https://w3id.org/repatriation-kg/ontology#>
PREFIX schema: <https://schema.org/>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
INSERT DATA { ex:text-c a rep:LocalTextSource ; rdfs:label "c.txt"@en ; dcterms:title "Text C"@en ; rep:fileName "c.txt" ;
  rep:sha256 "1111111111111111111111111111111111111111111111111111111111111111" } ;
DELETE DATA { ex:evidence-exact oa:hasSource ex:text-a } ;
INSERT DATA { ex:evidence-exact oa:hasSource ex:text-c }
