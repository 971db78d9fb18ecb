package dev.polydb.cli.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.polydb.cli.internal.Endpoint.Engine;
import dev.polydb.migrations.TableModel.Column;
import dev.polydb.migrations.TableModel.Table;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * A table's rows read the same way from either engine: each value normalised (timestamps as epoch
 * milliseconds, booleans as 0 or 1, embeddings as floats, JSON objects with sorted keys), so that
 * equal data gives equal rows and equal digests whichever engine holds it.
 */
final class Rows {
  private static final JsonFactory JSON = new JsonFactory();

  private Rows() {}

  /**
   * The select list that reads a table's columns, normalised where the engine needs it.
   *
   * @param table the table
   * @param engine the engine
   * @return e.g. {@code id, floor(extract(epoch from created_at) * 1000)::bigint}
   */
  static String selectList(Table table, Engine engine) {
    return table.columns().stream()
        .map(c -> expression(c, engine))
        .collect(Collectors.joining(", "));
  }

  private static String expression(Column column, Engine engine) {
    String name = column.name();
    if (engine == Engine.SQLITE) {
      return name;
    }
    return switch (column.kind()) {
      case TIMESTAMP -> "floor(extract(epoch FROM " + name + ") * 1000)::bigint";
      case BOOLEAN -> name + "::int";
      case EMBEDDING, JSONB -> name + "::text";
      default -> name;
    };
  }

  /**
   * Reads the current row.
   *
   * @param rs the result of a query with {@link #selectList}
   * @param table the table
   * @param engine the engine it came from
   * @return the values: String, Long, float[] or null
   */
  static Object[] read(ResultSet rs, Table table, Engine engine) throws SQLException {
    List<Column> columns = table.columns();
    Object[] row = new Object[columns.size()];
    for (int i = 0; i < row.length; i++) {
      int c = i + 1;
      row[i] =
          switch (columns.get(i).kind()) {
            case TEXT, JSON -> rs.getString(c);
            case JSONB -> canonicalJson(rs.getString(c));
            case TIMESTAMP, INT4, INT8, BOOLEAN -> {
              long value = rs.getLong(c);
              yield rs.wasNull() ? null : value;
            }
            case EMBEDDING ->
                engine == Engine.SQLITE ? floats(rs.getBytes(c)) : parseVector(rs.getString(c));
          };
    }
    return row;
  }

  /**
   * The names of the columns whose values differ.
   *
   * @param table the table
   * @param a a row
   * @param b another row of the same table
   * @return the column names, empty when the rows are equal
   */
  static List<String> differingColumns(Table table, Object[] a, Object[] b) {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < a.length; i++) {
      boolean equal =
          a[i] instanceof float[] fa && b[i] instanceof float[] fb
              ? java.util.Arrays.equals(fa, fb)
              : java.util.Objects.equals(a[i], b[i]);
      if (!equal) {
        names.add(table.columns().get(i).name());
      }
    }
    return names;
  }

  /** A digest of a row: SHA-256 over each value with its type and length. */
  static byte[] digest(MessageDigest sha, Object[] row) {
    sha.reset();
    ByteBuffer number = ByteBuffer.allocate(9);
    for (Object value : row) {
      number.clear();
      if (value == null) {
        sha.update((byte) 0);
      } else if (value instanceof Long l) {
        number.put((byte) 1).putLong(l);
        sha.update(number.array(), 0, 9);
      } else if (value instanceof String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        number.put((byte) 2).putLong(bytes.length);
        sha.update(number.array(), 0, 9);
        sha.update(bytes);
      } else {
        float[] floats = (float[]) value;
        number.put((byte) 3).putLong(floats.length);
        sha.update(number.array(), 0, 9);
        ByteBuffer bits = ByteBuffer.allocate(4 * floats.length);
        for (float f : floats) {
          bits.putInt(Float.floatToRawIntBits(f));
        }
        sha.update(bits.array());
      }
    }
    return sha.digest();
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }

  private static float[] floats(byte[] littleEndian) {
    if (littleEndian == null) {
      return null;
    }
    ByteBuffer in = ByteBuffer.wrap(littleEndian).order(ByteOrder.LITTLE_ENDIAN);
    float[] out = new float[littleEndian.length / 4];
    for (int i = 0; i < out.length; i++) {
      out[i] = in.getFloat();
    }
    return out;
  }

  /** pgvector's text form, {@code [1,2.5,-3]}. */
  private static float[] parseVector(String text) {
    if (text == null) {
      return null;
    }
    String inner = text.substring(1, text.length() - 1);
    if (inner.isEmpty()) {
      return new float[0];
    }
    String[] parts = inner.split(",");
    float[] out = new float[parts.length];
    for (int i = 0; i < parts.length; i++) {
      out[i] = Float.parseFloat(parts[i]);
    }
    return out;
  }

  /**
   * A JSON text with object keys sorted and no spacing, as jsonb and the SQLite text of one value
   * differ only in those; a text that is not JSON is returned as it is, so it still compares.
   */
  static String canonicalJson(String json) {
    if (json == null) {
      return null;
    }
    try (JsonParser parser = JSON.createParser(json)) {
      JsonToken first = parser.nextToken();
      if (first == null) {
        return json; // empty or blank: not JSON, compared as it is
      }
      // jsonb keeps a number's scale (1.0 is not 1): numbers stay BigDecimal as written
      return Json.compact(readValue(parser, first));
    } catch (IOException e) {
      return json;
    }
  }

  private static Object readValue(JsonParser parser, JsonToken token) throws IOException {
    switch (token) {
      case START_OBJECT -> {
        Map<String, Object> object = new TreeMap<>();
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
          String name = parser.currentName();
          object.put(name, readValue(parser, parser.nextToken()));
        }
        return object;
      }
      case START_ARRAY -> {
        List<Object> array = new ArrayList<>();
        for (JsonToken t = parser.nextToken(); t != JsonToken.END_ARRAY; t = parser.nextToken()) {
          array.add(readValue(parser, t));
        }
        return array;
      }
      case VALUE_STRING -> {
        return parser.getText();
      }
      case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> {
        return parser.getDecimalValue();
      }
      case VALUE_TRUE -> {
        return Boolean.TRUE;
      }
      case VALUE_FALSE -> {
        return Boolean.FALSE;
      }
      default -> {
        return null;
      }
    }
  }
}
