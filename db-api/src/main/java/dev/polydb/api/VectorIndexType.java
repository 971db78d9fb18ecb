package dev.polydb.api;

/**
 * The approximate index a Postgres vector store is created with, fixed when the database is
 * migrated. Backends that search exactly (SQLite) create none whatever is chosen.
 */
public enum VectorIndexType {
  /**
   * pgvector's HNSW graph: the best recall for its speed, and built as rows arrive, so it serves an
   * empty table that fills later. Tuned per query by {@link DbConfig#vectorEfSearch()}. The
   * default.
   */
  HNSW,
  /**
   * pgvector's IVFFlat lists: faster to build and smaller than HNSW, but its lists are centred on
   * the rows present when it is built, so rebuild it ({@code REINDEX INDEX chunks_embedding_idx})
   * once the data is loaded. Tuned by {@link DbConfig#vectorIvfflatLists()} and per query by {@link
   * DbConfig#vectorIvfflatProbes()}.
   */
  IVFFLAT,
  /** No index: every search is exact, a scan of the owner's chunks. Right for small stores. */
  NONE
}
