package dev.polydb.cli.internal;

import dev.polydb.cli.internal.SqlLexer.StringKind;
import dev.polydb.cli.internal.SqlLexer.Token;
import dev.polydb.cli.internal.SqlLexer.Type;
import dev.polydb.migrations.TableModel;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Decides whether a file may be imported into production: only what {@code polydb export} writes
 * gets through. Reads the file as psql would (see {@link SqlLexer}) and lists every reason to
 * refuse it, with its line: text that is not UTF-8 or holds NUL; no transaction, or statements
 * outside it; a statement other than {@code BEGIN}, {@code COMMIT}, the two settings export writes
 * and {@code INSERT INTO} an exported table of constants with {@code ON CONFLICT DO NOTHING}; psql
 * meta-commands and variables; {@code COPY}; role, privilege, extension, schema and search-path
 * changes; functions that reach the server's files or network; a file without users.
 */
public final class ExportValidator {
  private static final int MAX_TOKENS_PER_STATEMENT = 2_000_000;
  private static final int MAX_PROBLEMS = 200;

  /** Functions that read or write the server's files, run programs, or reach the network. */
  private static final Set<String> DANGEROUS =
      Set.of(
          "pg_read_file",
          "pg_read_binary_file",
          "pg_ls_dir",
          "pg_ls_logdir",
          "pg_ls_waldir",
          "pg_ls_tmpdir",
          "pg_ls_archive_statusdir",
          "pg_stat_file",
          "pg_file_write",
          "pg_file_rename",
          "pg_file_unlink",
          "pg_logdir_ls",
          "lo_import",
          "lo_export",
          "lo_from_bytea",
          "lo_put",
          "lo_get",
          "lo_open",
          "lowrite",
          "loread",
          "query_to_xml",
          "pg_terminate_backend",
          "pg_cancel_backend",
          "pg_reload_conf",
          "pg_sleep");

  /**
   * A reason to refuse a file.
   *
   * @param line the line it is on, from 1; 0 for the file as a whole
   * @param reason what is wrong
   */
  public record Problem(long line, String reason) {
    @Override
    public String toString() {
      return line == 0 ? reason : "line " + line + ": " + reason;
    }
  }

  private enum Phase {
    BEFORE_BEGIN,
    IN_TRANSACTION,
    AFTER_COMMIT
  }

  private final Set<Problem> problems = new LinkedHashSet<>();
  private final Set<String> tablesInserted = new HashSet<>();
  private Phase phase = Phase.BEFORE_BEGIN;
  // lines are counted in longs: an int would wrap past 2^31 lines and turn these checks off
  private long encodingFromLine = Long.MAX_VALUE;
  private long standardStringsFromLine = Long.MAX_VALUE;
  private long firstNonAsciiLine = Long.MAX_VALUE;

  private ExportValidator() {}

  /**
   * Checks a file.
   *
   * @param file the file
   * @return every reason to refuse it, by line; empty when it may be imported
   * @throws IOException when the file cannot be read
   */
  public static List<Problem> validate(Path file) throws IOException {
    ExportValidator validator = new ExportValidator();
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
      validator.checkBytes(in);
    }
    try (Reader in = new InputStreamReader(Files.newInputStream(file), StandardCharsets.UTF_8)) {
      validator.checkStatements(new SqlLexer(in));
    }
    List<Problem> sorted = new ArrayList<>(validator.problems);
    sorted.sort(Comparator.comparingLong(Problem::line));
    if (sorted.size() > MAX_PROBLEMS) {
      int more = sorted.size() - MAX_PROBLEMS;
      sorted = new ArrayList<>(sorted.subList(0, MAX_PROBLEMS));
      sorted.add(new Problem(0, "and " + more + " more"));
    }
    return sorted;
  }

  /** Invalid UTF-8, NUL, and where the first character beyond ASCII is. */
  private void checkBytes(InputStream in) throws IOException {
    CharsetDecoder decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer bytes = ByteBuffer.allocate(1 << 16);
    CharBuffer chars = CharBuffer.allocate(1 << 16);
    long line = 1;
    int invalid = 0;
    boolean eof = false;
    while (!eof) {
      int read = in.read(bytes.array(), bytes.position(), bytes.remaining());
      if (read < 0) {
        eof = true;
      } else {
        bytes.position(bytes.position() + read);
      }
      bytes.flip();
      while (true) {
        CoderResult result = decoder.decode(bytes, chars, eof);
        chars.flip();
        while (chars.hasRemaining()) {
          char c = chars.get();
          if (c == '\0') {
            add(line, "a NUL character, which no SQL text holds");
          } else if (c == '\n') {
            line++;
          } else if (c > 0x7f && firstNonAsciiLine == Long.MAX_VALUE) {
            firstNonAsciiLine = line;
          }
        }
        chars.clear();
        if (result.isError()) {
          if (invalid++ < 10) {
            add(line, "bytes that are not UTF-8");
          }
          bytes.position(bytes.position() + result.length());
          continue;
        }
        if (result.isUnderflow()) {
          break;
        }
      }
      bytes.compact();
    }
    while (decoder.flush(chars).isOverflow()) {
      chars.clear();
    }
  }

  private void checkStatements(SqlLexer lexer) throws IOException {
    List<Token> statement = new ArrayList<>();
    int depth = 0;
    while (true) {
      Token token = lexer.next();
      switch (token.type()) {
        case EOF -> {
          if (!statement.isEmpty()) {
            add(token.line(), "the last statement has no ';' (a truncated file?)");
            statement(statement, token.line());
          }
          finish();
          return;
        }
        case UNTERMINATED -> {
          add(token.line(), "a " + token.text() + " that never ends (a truncated file?)");
          statement.add(token);
        }
        case SEMICOLON -> {
          if (depth > 0) {
            add(token.line(), "a ';' inside parentheses");
          }
          statement(statement, token.line());
          statement.clear();
          depth = 0;
        }
        default -> {
          if (token.type() == Type.LPAREN) {
            depth++;
          } else if (token.type() == Type.RPAREN) {
            depth--;
          }
          if (statement.size() == MAX_TOKENS_PER_STATEMENT) {
            add(token.line(), "a statement of more than " + MAX_TOKENS_PER_STATEMENT + " tokens");
          } else if (statement.size() < MAX_TOKENS_PER_STATEMENT) {
            statement.add(token);
          }
        }
      }
    }
  }

  private void finish() {
    switch (phase) {
      case BEFORE_BEGIN -> add(0, "no BEGIN: an export is one transaction");
      case IN_TRANSACTION ->
          add(0, "no COMMIT: the transaction is never closed (a truncated file?)");
      case AFTER_COMMIT -> {}
    }
    if (!tablesInserted.contains("users")) {
      add(0, "no INSERT INTO users: an export always holds the users its rows belong to");
    }
    if (firstNonAsciiLine < encodingFromLine) {
      add(
          firstNonAsciiLine,
          "text beyond ASCII before SET client_encoding = 'UTF8' has taken effect (on the line"
              + " after it): psql would read it in the session's encoding");
    }
  }

  /** One statement; {@code end} is the line of its ';'. */
  private void statement(List<Token> tokens, long end) {
    if (tokens.isEmpty()) {
      return;
    }
    for (Token t : tokens) {
      scan(t);
    }
    Token first = tokens.get(0);
    long line = first.line();
    if (phase == Phase.AFTER_COMMIT) {
      add(line, "a statement after COMMIT, outside the transaction");
    }
    if (first.type() != Type.WORD) {
      add(line, "a statement outside the allow-list (it starts with " + describe(first) + ")");
      return;
    }
    switch (first.text()) {
      case "begin", "start" -> begin(tokens);
      case "commit", "end" -> commit(tokens);
      case "rollback", "abort", "savepoint", "release", "prepare" ->
          add(line, "transaction control other than one BEGIN and one COMMIT: " + upper(first));
      case "set" -> set(tokens, end);
      case "reset" -> reset(tokens);
      case "insert" -> insert(tokens);
      case "copy" -> copy(tokens);
      case "grant", "revoke" -> add(line, "a role or privilege change: " + upper(first));
      case "create", "alter", "drop", "comment", "security", "reassign" -> ddl(tokens);
      default -> add(line, "a statement outside the allow-list: " + upper(first));
    }
  }

  /** What any token says wherever it is. */
  private void scan(Token t) {
    switch (t.type()) {
      case META_COMMAND -> add(t.line(), "a psql meta-command: " + t.text());
      case COLON ->
          add(
              t.line(),
              "a ':' outside quotes: a psql variable or a cast, which export never writes");
      case OTHER -> add(t.line(), "an unexpected character " + printable(t.text()));
      case PARAM -> add(t.line(), "a parameter " + t.text() + ", which a script cannot bind");
      case WORD, QUOTED_IDENT -> {
        String name = SqlLexer.asciiLower(t.text());
        if (DANGEROUS.contains(name) || name.startsWith("dblink") || name.startsWith("lo_")) {
          add(
              t.line(),
              "the function "
                  + name
                  + ", which reaches the server's files, programs, network or sessions");
        } else if (name.equals("set_config") || name.equals("search_path")) {
          add(t.line(), "a search-path or setting change: " + name);
        }
      }
      case STRING -> {
        if (t.kind() == StringKind.BIT || t.kind() == StringKind.HEX) {
          add(t.line(), "a bit-string constant, which export never writes");
        } else if (t.kind() == StringKind.NATIONAL) {
          add(t.line(), "an N'' constant, which export never writes (it drops trailing spaces)");
        } else if (t.kind() == StringKind.UNICODE) {
          add(t.line(), "a U&'' constant, which export never writes");
        } else if (t.backslash() && t.line() < standardStringsFromLine) {
          add(
              t.line(),
              "a backslash in a string before SET standard_conforming_strings = on has taken"
                  + " effect: psql and the server may read it as an escape");
        }
      }
      default -> {}
    }
  }

  private void begin(List<Token> tokens) {
    long line = tokens.get(0).line();
    boolean plain =
        tokens.get(0).is("begin")
            ? tokens.size() == 1
                || (tokens.size() == 2
                    && (tokens.get(1).is("work") || tokens.get(1).is("transaction")))
            : tokens.size() == 2 && tokens.get(1).is("transaction");
    if (!plain) {
      add(line, "BEGIN with options, which export never writes");
    }
    if (phase == Phase.BEFORE_BEGIN) {
      phase = Phase.IN_TRANSACTION;
    } else {
      add(line, "a second BEGIN: an export is one transaction");
    }
  }

  private void commit(List<Token> tokens) {
    long line = tokens.get(0).line();
    if (!(tokens.size() == 1
        || (tokens.size() == 2 && (tokens.get(1).is("work") || tokens.get(1).is("transaction"))))) {
      add(line, "COMMIT with options, which export never writes");
    }
    switch (phase) {
      case BEFORE_BEGIN -> add(line, "COMMIT before BEGIN");
      case IN_TRANSACTION -> phase = Phase.AFTER_COMMIT;
      case AFTER_COMMIT -> add(line, "a second COMMIT: an export is one transaction");
    }
  }

  private void set(List<Token> tokens, long end) {
    long line = tokens.get(0).line();
    String name = tokens.size() > 1 ? SqlLexer.asciiLower(tokens.get(1).text()) : "";
    switch (name) {
      case "role", "session" -> {
        add(line, "a role change: SET " + name.toUpperCase(Locale.ROOT));
        return;
      }
      case "search_path", "schema" -> {
        add(line, "a search-path change");
        return;
      }
      default -> {}
    }
    boolean shape =
        tokens.size() == 4
            && tokens.get(1).type() == Type.WORD
            && ((tokens.get(2).type() == Type.OPERATOR && tokens.get(2).text().equals("="))
                || tokens.get(2).is("to"));
    String value = shape ? SqlLexer.asciiLower(tokens.get(3).text()) : "";
    boolean valueIsWordOrString =
        shape
            && (tokens.get(3).type() == Type.WORD
                || (tokens.get(3).type() == Type.STRING
                    && tokens.get(3).kind() == StringKind.STANDARD));
    if (valueIsWordOrString
        && name.equals("client_encoding")
        && Set.of("utf8", "utf-8").contains(value)) {
      encodingFromLine = Math.min(encodingFromLine, end + 1);
    } else if (valueIsWordOrString
        && name.equals("standard_conforming_strings")
        && Set.of("on", "true").contains(value)) {
      standardStringsFromLine = Math.min(standardStringsFromLine, end + 1);
    } else {
      add(
          line,
          "a SET other than the two export writes (client_encoding = 'UTF8',"
              + " standard_conforming_strings = on)");
    }
  }

  private void reset(List<Token> tokens) {
    long line = tokens.get(0).line();
    String name = tokens.size() > 1 ? tokens.get(1).text() : "";
    switch (name) {
      case "role", "session" -> add(line, "a role change: RESET " + name.toUpperCase(Locale.ROOT));
      case "search_path", "all" -> add(line, "a search-path change: RESET " + name);
      default -> add(line, "a statement outside the allow-list: RESET");
    }
  }

  private void copy(List<Token> tokens) {
    long line = tokens.get(0).line();
    boolean program = tokens.stream().anyMatch(t -> t.is("program"));
    boolean file = false;
    for (int i = 0; i + 1 < tokens.size(); i++) {
      if ((tokens.get(i).is("from") || tokens.get(i).is("to"))
          && tokens.get(i + 1).type() == Type.STRING) {
        file = true;
      }
    }
    if (program) {
      add(line, "COPY with PROGRAM, which runs a program on the server");
    } else if (file) {
      add(line, "COPY from or to a file on the server");
    } else {
      add(line, "COPY, which export never writes");
    }
  }

  private void ddl(List<Token> tokens) {
    long line = tokens.get(0).line();
    String verb = upper(tokens.get(0));
    for (Token t : tokens.subList(1, Math.min(tokens.size(), 6))) {
      switch (t.type() == Type.WORD ? t.text() : "") {
        case "role", "user", "group", "policy", "owned" -> {
          add(line, "a role change: " + verb + " " + upper(t));
          return;
        }
        case "extension" -> {
          add(line, "an extension change: " + verb + " EXTENSION");
          return;
        }
        case "schema" -> {
          add(line, "a schema change: " + verb + " SCHEMA");
          return;
        }
        case "default" -> {
          add(line, "a privilege change: " + verb + " DEFAULT PRIVILEGES");
          return;
        }
        default -> {}
      }
    }
    add(line, "a statement outside the allow-list: " + verb);
  }

  private void insert(List<Token> tokens) {
    long line = tokens.get(0).line();
    if (phase == Phase.BEFORE_BEGIN) {
      add(line, "an INSERT before BEGIN, outside the transaction");
    }
    Cursor c = new Cursor(tokens);
    c.next();
    if (!c.word("into")) {
      add(line, "an INSERT that is not INSERT INTO a table");
      return;
    }
    Token name = c.next();
    String table = identifier(name);
    if (c.peekType() == Type.DOT) {
      c.next();
      Token qualified = c.next();
      if (!"public".equals(table)) {
        add(line, "an INSERT into a table outside schema public");
        return;
      }
      table = identifier(qualified);
    }
    if (table == null) {
      add(line, "an INSERT INTO something that is not a table name");
      return;
    }
    if (!Exporter.TABLES.contains(table)) {
      add(
          line,
          table.equals("refresh_tokens")
              ? "an INSERT INTO refresh_tokens: refresh tokens are never exported nor imported"
              : "an INSERT INTO " + table + ", a table exports never write");
      return;
    }
    tablesInserted.add(table);
    TableModel.Table known = TableModel.table(table);
    List<String> columns = new ArrayList<>();
    if (c.peekType() != Type.LPAREN) {
      add(line, "an INSERT without a column list");
      return;
    }
    c.next();
    do {
      columns.add(identifier(c.next()));
    } while (c.accept(Type.COMMA));
    // every column, in the table's order, as export writes them: a column left out would take
    // its default, which export never relies on
    List<String> expected = known.columns().stream().map(TableModel.Column::name).toList();
    if (!columns.equals(expected)) {
      add(line, "an INSERT INTO " + table + " whose columns are not the table's, in its order");
      return;
    }
    if (!c.accept(Type.RPAREN)) {
      add(line, "an INSERT whose column list is not closed");
      return;
    }
    if (!c.word("values")) {
      add(line, "an INSERT of something else than VALUES of constants");
      return;
    }
    do {
      if (!c.accept(Type.LPAREN)) {
        add(line, "an INSERT whose VALUES are not rows in parentheses");
        return;
      }
      int values = 0;
      do {
        if (!constant(c)) {
          add(
              c.line(line),
              "a value other than a constant (a function call, a cast, an expression)");
          return;
        }
        values++;
      } while (c.accept(Type.COMMA));
      if (!c.accept(Type.RPAREN)) {
        add(c.line(line), "a row that is not closed after its constants");
        return;
      }
      if (values != columns.size()) {
        add(c.line(line), "a row of " + values + " values for " + columns.size() + " columns");
        return;
      }
    } while (c.accept(Type.COMMA));
    if (!(c.word("on") && c.word("conflict"))) {
      add(
          c.line(line),
          "an INSERT without ON CONFLICT DO NOTHING, which makes a second import fail");
      return;
    }
    if (!c.word("do")) {
      add(c.line(line), "ON CONFLICT with a target, which export never writes");
      return;
    }
    if (!c.word("nothing")) {
      add(c.line(line), "ON CONFLICT DO UPDATE, which changes rows already there");
      return;
    }
    if (!c.atEnd()) {
      add(c.line(line), "an INSERT with more after ON CONFLICT DO NOTHING (e.g. RETURNING)");
    }
  }

  /** A constant: a string, a signed or unsigned number, NULL, TRUE or FALSE. */
  private static boolean constant(Cursor c) {
    Token t = c.next();
    if (t == null) {
      return false;
    }
    if (t.type() == Type.OPERATOR && (t.text().equals("-") || t.text().equals("+"))) {
      t = c.next();
      return t != null && t.type() == Type.NUMBER;
    }
    boolean constant =
        switch (t.type()) {
          case NUMBER -> true;
          case STRING ->
              t.kind() == StringKind.STANDARD
                  || t.kind() == StringKind.ESCAPE
                  || t.kind() == StringKind.DOLLAR;
          case WORD -> t.is("null") || t.is("true") || t.is("false");
          default -> false;
        };
    // two string constants in a row are one to PostgreSQL when a newline parts them
    return constant && c.peekType() != Type.STRING;
  }

  private static String identifier(Token t) {
    if (t == null) {
      return null;
    }
    return t.type() == Type.WORD || t.type() == Type.QUOTED_IDENT ? t.text() : null;
  }

  private void add(long line, String reason) {
    problems.add(new Problem(line, reason));
  }

  private static String upper(Token t) {
    return t.text().toUpperCase(Locale.ROOT);
  }

  private static String describe(Token t) {
    return switch (t.type()) {
      case STRING -> "a string constant";
      case QUOTED_IDENT -> "a quoted identifier";
      case NUMBER -> "a number";
      case META_COMMAND -> "a psql meta-command";
      default -> "'" + printable(t.text()) + "'";
    };
  }

  private static String printable(String text) {
    StringBuilder out = new StringBuilder();
    for (char c : text.toCharArray()) {
      out.append(c < 0x20 || c == 0x7f ? String.format("\\x%02x", (int) c) : String.valueOf(c));
    }
    return out.toString();
  }

  /** Walks a statement's tokens. */
  private static final class Cursor {
    private final List<Token> tokens;
    private int index;

    Cursor(List<Token> tokens) {
      this.tokens = tokens;
    }

    Token next() {
      return index < tokens.size() ? tokens.get(index++) : null;
    }

    Type peekType() {
      return index < tokens.size() ? tokens.get(index).type() : Type.EOF;
    }

    boolean accept(Type type) {
      if (peekType() == type) {
        index++;
        return true;
      }
      return false;
    }

    boolean word(String word) {
      if (index < tokens.size() && tokens.get(index).is(word)) {
        index++;
        return true;
      }
      return false;
    }

    boolean atEnd() {
      return index >= tokens.size();
    }

    long line(long fallback) {
      return index > 0 && index <= tokens.size() ? tokens.get(index - 1).line() : fallback;
    }
  }
}
