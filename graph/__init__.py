"""Documents in, a knowledge graph out. The graph stage takes the corpus stage's segmented documents and gives the
facts they state, each with its evidence sentence, kept in one SQLite data directory and exported as RDF. extract
(with sentences, councils, inspections, practices and themes) turns a document into facts: whose minutes, which
inspections, judgements, interventions, practices and themes; store writes documents, segments and facts in one
transaction per batch and is what every later stage reads; vocab and rdf give the ckg: vocabulary and the N-Triples
export, push sends it to a file or a SPARQL Graph Store, and sparql answers read-only SPARQL over it on Oxigraph;
kg is the networkx view that answers officers' questions, and topics the clusters of similar points."""
