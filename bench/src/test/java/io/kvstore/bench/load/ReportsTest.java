package io.kvstore.bench.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.xml.parsers.DocumentBuilderFactory;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

class ReportsTest {
  private final List<RunResult> results = List.of(
      Results.result("kvstore", Workload.W, 16, 12_000, 4.0),
      Results.result("etcd", Workload.W, 16, 4_000, 8.0),
      Results.result("etcd", Workload.C, 128, 20_000, 12.0),
      Results.result("kvstore", Workload.C, 128, 50_000, 6.0));

  @Test
  void latencySummaryReadsPercentilesFromTheHistogram() {
    Histogram h = new Histogram(OpRecorder.HIGHEST_TRACKABLE_NANOS, 3);
    for (long us = 1; us <= 10_000; us++) {
      h.recordValue(us * 1000);
    }
    LatencySummary s = LatencySummary.ofNanos(h);
    assertThat(s.count()).isEqualTo(10_000);
    assertThat(s.p50Ms()).isCloseTo(5.0, within(0.01));
    assertThat(s.p95Ms()).isCloseTo(9.5, within(0.01));
    assertThat(s.p99Ms()).isCloseTo(9.9, within(0.01));
    assertThat(s.p999Ms()).isCloseTo(9.99, within(0.01));
    assertThat(s.maxMs()).isCloseTo(10.0, within(0.01));
    assertThat(LatencySummary.ofNanos(new Histogram(3))).isEqualTo(LatencySummary.EMPTY);
  }

  @Test
  void comparisonPairsTheSameConfigurationAcrossStores() {
    Comparison c = Comparison.of(results, "kvstore", "etcd");
    assertThat(c.rows()).hasSize(2);
    assertThat(c.rows().get(0).config().workload()).isEqualTo(Workload.W);
    assertThat(c.rows().get(0).throughputRatio()).isCloseTo(3.0, within(1e-9));
    assertThat(c.rows().get(0).p99Ratio()).isCloseTo(0.5, within(1e-9));
    assertThat(c.rows().get(1).throughputRatio()).isCloseTo(2.5, within(1e-9));
    // A configuration run on one store only is left out.
    List<RunResult> more = new ArrayList<>(results);
    more.add(Results.result("kvstore", Workload.A, 16, 1000, 1));
    assertThat(Comparison.of(more, "kvstore", "etcd").rows()).hasSize(2);
  }

  @Test
  void markdownTablesHaveOneCellPerColumnOnEveryRow() {
    String md = MarkdownReport.render(List.of("machine: a|b"), results, Comparison.of(results, "kvstore", "etcd"));
    List<List<String>> tables = tables(md);
    assertThat(tables).hasSize(2);
    for (List<String> table : tables) {
      int columns = cells(table.get(0));
      for (String row : table) {
        assertThat(cells(row)).as(row).isEqualTo(columns);
      }
    }
    assertThat(tables.get(0)).hasSize(2 + 2); // header, separator, W and C
    assertThat(tables.get(0).get(2)).contains("| W | 16 | 12,000 | 4,000 | 3.00× |");
    assertThat(tables.get(1)).hasSize(2 + results.size());
    assertThat(md).contains("machine: a\\|b");
  }

  @Test
  void csvHasTheHeaderAndOneQuotedRowPerResult() {
    String csv = CsvReport.render(results);
    List<List<String>> rows = parseCsv(csv);
    assertThat(rows).hasSize(1 + results.size());
    assertThat(rows.get(0)).isEqualTo(CsvReport.HEADER);
    for (List<String> row : rows.subList(1, rows.size())) {
      assertThat(row).hasSize(CsvReport.HEADER.size());
    }
    Map<String, String> first = new TreeMap<>();
    for (int i = 0; i < CsvReport.HEADER.size(); i++) {
      first.put(CsvReport.HEADER.get(i), rows.get(1).get(i));
    }
    assertThat(first).containsEntry("store", "kvstore").containsEntry("workload", "W")
        .containsEntry("in_flight", "16").containsEntry("ops_per_s", "12000.0")
        .containsEntry("p99_ms", "4.000").containsEntry("driver", "kvstore driver, with, commas");
  }

  @Test
  void svgIsWellFormedWithOneBarPerResultAndPanel() throws Exception {
    List<RunResult> tricky = new ArrayList<>(results);
    tricky.add(Results.result("a<b>&\"c\"", Workload.CAS, 512, 100, 50));
    String svg = SvgChart.render("Throughput & p99", "keys <10000>", tricky);
    var factory = DocumentBuilderFactory.newInstance();
    factory.setNamespaceAware(true);
    Document doc = factory.newDocumentBuilder()
        .parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
    Element root = doc.getDocumentElement();
    assertThat(root.getLocalName()).isEqualTo("svg");
    assertThat(root.getNamespaceURI()).isEqualTo("http://www.w3.org/2000/svg");
    assertThat(svg).doesNotContain("<script").doesNotContain("href");

    List<Element> bars = new ArrayList<>();
    NodeList rects = doc.getElementsByTagNameNS("http://www.w3.org/2000/svg", "rect");
    for (int i = 0; i < rects.getLength(); i++) {
      Element r = (Element) rects.item(i);
      if (r.getElementsByTagNameNS("*", "title").getLength() == 1) {
        bars.add(r);
      }
    }
    assertThat(bars).hasSize(2 * tricky.size());
    // Within the throughput panel, a bigger throughput is a taller bar.
    double kvW = height(bars, "kvstore W if=16: 12,000 ops/s");
    double etcdW = height(bars, "etcd W if=16: 4,000 ops/s");
    assertThat(kvW / etcdW).isCloseTo(3.0, within(0.05));
    assertThat(doc.getDocumentElement().getTextContent()).contains("a<b>&\"c\"", "Throughput & p99");
  }

  private static double height(List<Element> bars, String title) {
    for (Element b : bars) {
      if (b.getTextContent().equals(title)) {
        return Double.parseDouble(b.getAttribute("height"));
      }
    }
    throw new AssertionError("no bar titled " + title);
  }

  private static List<List<String>> tables(String md) {
    List<List<String>> tables = new ArrayList<>();
    List<String> current = null;
    for (String line : md.split("\n")) {
      if (line.startsWith("|")) {
        if (current == null) {
          current = new ArrayList<>();
          tables.add(current);
        }
        current.add(line);
      } else {
        current = null;
      }
    }
    return tables;
  }

  /** Cells of a Markdown table row, where "\|" is a pipe inside a cell. */
  private static int cells(String row) {
    return row.replace("\\|", "").split("\\|", -1).length - 2;
  }

  /** A small RFC 4180 reader: quoted fields, doubled quotes, CRLF rows. */
  private static List<List<String>> parseCsv(String csv) {
    List<List<String>> rows = new ArrayList<>();
    List<String> row = new ArrayList<>();
    StringBuilder field = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < csv.length(); i++) {
      char c = csv.charAt(i);
      if (quoted) {
        if (c == '"' && i + 1 < csv.length() && csv.charAt(i + 1) == '"') {
          field.append('"');
          i++;
        } else if (c == '"') {
          quoted = false;
        } else {
          field.append(c);
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == ',') {
        row.add(field.toString());
        field.setLength(0);
      } else if (c == '\r' && i + 1 < csv.length() && csv.charAt(i + 1) == '\n') {
        row.add(field.toString());
        field.setLength(0);
        rows.add(row);
        row = new ArrayList<>();
        i++;
      } else {
        field.append(c);
      }
    }
    assertThat(field).isEmpty();
    assertThat(row).isEmpty();
    return rows;
  }
}
