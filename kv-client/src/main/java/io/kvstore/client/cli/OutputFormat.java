package io.kvstore.client.cli;

/** kvctl's output formats ({@code -o}). */
public enum OutputFormat {
  /** Aligned columns for people. */
  table,
  /** One JSON document per command, with stable field names, for scripts. */
  json,
  /** Only the value's bytes (get), values one per line (scan), or the version (writes). */
  value
}
