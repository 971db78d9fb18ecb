package dev.polydb.jooq;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import dev.polydb.api.DbValidationException;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.TreeMap;

/**
 * Strict JSON checks and the flat string maps chunks carry as metadata. Public for the backend
 * modules only.
 */
public final class Json {
  private static final JsonFactory FACTORY =
      JsonFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

  private Json() {}

  /**
   * Refuses text that is not exactly one well-formed JSON value.
   *
   * @param field the field named in the error
   * @param text the text
   * @throws DbValidationException when the text is not JSON
   */
  public static void requireValid(String field, String text) {
    try (JsonParser p = FACTORY.createParser(text)) {
      if (p.nextToken() == null) {
        throw new DbValidationException(field, "must be JSON: empty");
      }
      p.skipChildren();
      if (p.nextToken() != null) {
        throw new DbValidationException(field, "must be one JSON value: trailing content");
      }
    } catch (IOException e) {
      // the parser's own message quotes the offending text, which is the caller's data
      String where =
          e instanceof JsonProcessingException j && j.getLocation() != null
              ? " at line "
                  + j.getLocation().getLineNr()
                  + ", column "
                  + j.getLocation().getColumnNr()
              : "";
      throw new DbValidationException(field, "must be JSON: malformed" + where);
    }
  }

  /**
   * Writes a map with its keys sorted, so equal maps give equal text on every backend.
   *
   * @param map the map
   * @return a JSON object
   */
  public static String write(Map<String, String> map) {
    StringWriter out = new StringWriter();
    try (JsonGenerator g = FACTORY.createGenerator(out)) {
      g.writeStartObject();
      for (var e : new TreeMap<>(map).entrySet()) {
        g.writeStringField(e.getKey(), e.getValue());
      }
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  /**
   * Reads a map written by {@link #write}.
   *
   * @param text a JSON object of strings
   * @return the map
   */
  public static Map<String, String> read(String text) {
    Map<String, String> map = new TreeMap<>();
    try (JsonParser p = FACTORY.createParser(text)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new IllegalStateException("chunk metadata is not a JSON object");
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String key = p.currentName();
        p.nextToken();
        map.put(key, p.getValueAsString());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return map;
  }
}
