package dev.polydb.cli.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.PrintStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.util.Map;

/**
 * A command's machine-readable result on standard output, one JSON document built from maps, lists,
 * strings, numbers, booleans and nulls.
 */
public final class Json {
  private static final JsonFactory FACTORY = new JsonFactory();

  private Json() {}

  /**
   * Writes a document and a newline.
   *
   * @param stream standard output, left open
   * @param document the value
   */
  public static void write(PrintStream stream, Object document) {
    try (JsonGenerator out =
        FACTORY
            .createGenerator(stream)
            .disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET)
            .useDefaultPrettyPrinter()) {
      value(out, document);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    stream.println();
    stream.flush();
  }

  /**
   * A value as compact JSON text, no spacing; numbers given as {@code BigDecimal} keep their scale.
   *
   * @param value the value
   * @return its JSON text
   */
  static String compact(Object value) {
    StringWriter text = new StringWriter();
    try (JsonGenerator out = FACTORY.createGenerator(text)) {
      value(out, value);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return text.toString();
  }

  private static void value(JsonGenerator out, Object value) throws IOException {
    if (value == null) {
      out.writeNull();
    } else if (value instanceof Map<?, ?> map) {
      out.writeStartObject();
      for (Map.Entry<?, ?> e : map.entrySet()) {
        out.writeFieldName(String.valueOf(e.getKey()));
        value(out, e.getValue());
      }
      out.writeEndObject();
    } else if (value instanceof Iterable<?> list) {
      out.writeStartArray();
      for (Object item : list) {
        value(out, item);
      }
      out.writeEndArray();
    } else if (value instanceof Boolean b) {
      out.writeBoolean(b);
    } else if (value instanceof BigDecimal d) {
      out.writeNumber(d.toPlainString());
    } else if (value instanceof Integer || value instanceof Long) {
      out.writeNumber(((Number) value).longValue());
    } else if (value instanceof Number n) {
      out.writeNumber(n.doubleValue());
    } else {
      out.writeString(value.toString());
    }
  }
}
