"""Stored points in, ranked answers out. The embed stage takes files (through pipeline.ingest, which runs the corpus
and graph stages, embeds what changed and commits one new generation of database and indexes, or nothing) and gives
hybrid search over debate points as the contract's JSON. encoder wraps the sentence encoder (loaded lazily); passages
cuts points to its window; index builds the FAISS and BM25 indexes and table the facet arrays of a generation;
backends picks where a generation's indexes live (faiss, or milvus:URI: milvus holds the names, schemas and
filter expressions, milvus_build writes a generation's collections and moves the alias, milvus_index reads them
with the same interface as index.Indexes);
search holds one Searcher per process over the newest generation, rank fuses vector and lexical candidates, filters
and results turn them into filtered hits with highlights and facets; compare, example and emerging answer compare
mode, query by example and emerging topics; render prints results for a terminal, evaluate scores the ranking;
harvest chains the corpus stage's fetching of a ModernGov site to pipeline.ingest and then saves the site's ledger."""
