"""`councilkg bench`, apart from the app it measures: run.bench (the entry point) times ingest, search, load, ANN
and SPARQL over corpora written by corpus and scaled by scale (backend: the same figures for `--index milvus:URI`
beside FAISS); only the CLI's `bench` command imports it."""
