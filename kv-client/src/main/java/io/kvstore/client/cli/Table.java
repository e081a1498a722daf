package io.kvstore.client.cli;

import java.io.PrintWriter;
import java.util.List;

/** Prints rows as an aligned plain-text table, like etcdctl's and kubectl's. */
final class Table {
  private Table() {}

  static void print(PrintWriter out, String[] header, List<String[]> rows) {
    int[] width = new int[header.length];
    for (int i = 0; i < header.length; i++) {
      width[i] = header[i].length();
    }
    for (String[] row : rows) {
      for (int i = 0; i < row.length; i++) {
        width[i] = Math.max(width[i], row[i].length());
      }
    }
    printRow(out, header, width);
    for (String[] row : rows) {
      printRow(out, row, width);
    }
  }

  private static void printRow(PrintWriter out, String[] cells, int[] width) {
    StringBuilder line = new StringBuilder();
    for (int i = 0; i < cells.length; i++) {
      line.append(cells[i]);
      if (i < cells.length - 1) {
        line.append(" ".repeat(width[i] - cells[i].length() + 2));
      }
    }
    out.println(line.toString().stripTrailing());
  }
}
