package dev.polydb.cli.internal;

import java.io.IOException;
import java.io.Reader;

/**
 * Splits SQL text into tokens by PostgreSQL's lexical rules as psql applies them to a script:
 * whitespace and comments (nested block comments), identifiers (plain, quoted, {@code U&"…"}),
 * string constants (standard, {@code E''} with backslash escapes, dollar-quoted with or without a
 * tag, {@code B''}, {@code X''}, {@code N''}, {@code U&''}), numbers, operators, punctuation,
 * positional parameters, and what psql alone reads: a backslash outside quotes starts a
 * meta-command, a colon may start a variable. Standard strings are read with {@code
 * standard_conforming_strings} on; a backslash in one is flagged, as psql and the server read it
 * differently when that setting is off. Streamed: a string constant's text is kept only up to
 * {@link #KEPT} characters.
 */
final class SqlLexer {
  /** How many characters of a constant or identifier a token keeps. */
  static final int KEPT = 256;

  private static final int MAX_TAG = 4096;
  private static final String OPERATOR_CHARS = "+-*/<>=~!@#%^&|`?";

  /** What a token is. */
  enum Type {
    /** An unquoted identifier or key word, lower-cased. */
    WORD,
    /** A quoted identifier, its text unescaped. */
    QUOTED_IDENT,
    /** A string constant; see {@link StringKind}. */
    STRING,
    /** A numeric constant. */
    NUMBER,
    /** An operator. */
    OPERATOR,
    /** {@code (}. */
    LPAREN,
    /** {@code )}. */
    RPAREN,
    /** {@code ,}. */
    COMMA,
    /** {@code ;}. */
    SEMICOLON,
    /** {@code .}. */
    DOT,
    /** {@code [} or {@code ]}. */
    BRACKET,
    /** {@code :}, a cast's half or the start of a psql variable. */
    COLON,
    /** {@code $1}. */
    PARAM,
    /** A backslash outside quotes: a psql meta-command, named by the token's text. */
    META_COMMAND,
    /** A character PostgreSQL has no token for. */
    OTHER,
    /** A quote or comment that never ends. */
    UNTERMINATED,
    /** The end of the text. */
    EOF
  }

  /** The kind of a string constant. */
  enum StringKind {
    /** {@code '…'}. */
    STANDARD,
    /** {@code E'…'}. */
    ESCAPE,
    /** {@code $$…$$} or {@code $tag$…$tag$}. */
    DOLLAR,
    /** {@code N'…'}. */
    NATIONAL,
    /** {@code B'…'}. */
    BIT,
    /** {@code X'…'}. */
    HEX,
    /** {@code U&'…'}. */
    UNICODE
  }

  /**
   * A token.
   *
   * @param type what it is
   * @param text its text: lower-cased for a word, unescaped (at most {@link #KEPT} characters) for
   *     a constant or quoted identifier, what was not closed for {@link Type#UNTERMINATED}
   * @param line the line it starts on, from 1 (a long: a file may hold more than 2^31 lines)
   * @param kind a string constant's kind, else {@code null}
   * @param backslash whether a standard or national string holds a backslash
   */
  record Token(Type type, String text, long line, StringKind kind, boolean backslash) {
    boolean is(String word) {
      return type == Type.WORD && text.equals(word);
    }
  }

  private final Reader in;
  private char[] buffer = new char[8192];
  private int position;
  private int limit;
  private boolean end;
  private long line = 1;

  SqlLexer(Reader in) {
    this.in = in;
  }

  /**
   * The next token, comments and whitespace skipped.
   *
   * @return the token; {@link Type#EOF} at the end, again and again
   * @throws IOException when the text cannot be read
   */
  Token next() throws IOException {
    while (true) {
      int c = peek(0);
      if (c < 0) {
        return new Token(Type.EOF, "", line, null, false);
      }
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
        advance(1);
      } else if (c == '-' && peek(1) == '-') {
        // a line comment ends at a carriage return too
        while (peek(0) >= 0 && peek(0) != '\n' && peek(0) != '\r') {
          advance(1);
        }
      } else if (c == '/' && peek(1) == '*') {
        Token unterminated = blockComment();
        if (unterminated != null) {
          return unterminated;
        }
      } else {
        return token(c);
      }
    }
  }

  private Token token(int c) throws IOException {
    long start = line;
    char lower = Character.toLowerCase((char) c);
    if (peek(1) == '\'' && (lower == 'e' || lower == 'b' || lower == 'x' || lower == 'n')) {
      advance(1);
      StringKind kind =
          switch (lower) {
            case 'e' -> StringKind.ESCAPE;
            case 'b' -> StringKind.BIT;
            case 'x' -> StringKind.HEX;
            default -> StringKind.NATIONAL;
          };
      return quoted(start, kind);
    }
    if (lower == 'u' && peek(1) == '&' && (peek(2) == '\'' || peek(2) == '"')) {
      advance(2);
      return peek(0) == '\'' ? quoted(start, StringKind.UNICODE) : identifier(start);
    }
    if (identifierStart(c)) {
      StringBuilder word = new StringBuilder();
      while (identifierPart(peek(0))) {
        append(word, (char) advance(1));
      }
      return new Token(Type.WORD, asciiLower(word), start, null, false);
    }
    if (c == '"') {
      return identifier(start);
    }
    if (c == '\'') {
      return quoted(start, StringKind.STANDARD);
    }
    if (c == '$') {
      return dollar(start);
    }
    if (isDigit(c) || (c == '.' && isDigit(peek(1)))) {
      return number(start);
    }
    if (c == '\\') {
      advance(1);
      StringBuilder command = new StringBuilder("\\");
      while (peek(0) >= 0 && !Character.isWhitespace(peek(0)) && command.length() < 32) {
        command.append((char) advance(1));
      }
      // psql reads the rest of the line as the command's arguments
      while (peek(0) >= 0 && peek(0) != '\n') {
        advance(1);
      }
      return new Token(Type.META_COMMAND, command.toString(), start, null, false);
    }
    if (OPERATOR_CHARS.indexOf(c) >= 0) {
      StringBuilder operator = new StringBuilder();
      while (OPERATOR_CHARS.indexOf(peek(0)) >= 0
          && !(peek(0) == '-' && peek(1) == '-')
          && !(peek(0) == '/' && peek(1) == '*')) {
        operator.append((char) advance(1));
      }
      if (operator.length() == 0) {
        operator.append((char) advance(1));
      }
      return new Token(Type.OPERATOR, operator.toString(), start, null, false);
    }
    advance(1);
    Type type =
        switch (c) {
          case '(' -> Type.LPAREN;
          case ')' -> Type.RPAREN;
          case ',' -> Type.COMMA;
          case ';' -> Type.SEMICOLON;
          case '.' -> Type.DOT;
          case '[', ']' -> Type.BRACKET;
          case ':' -> Type.COLON;
          default -> Type.OTHER;
        };
    return new Token(type, String.valueOf((char) c), start, null, false);
  }

  /** A block comment; they nest. Returns a token only when it never ends. */
  private Token blockComment() throws IOException {
    long start = line;
    int depth = 0;
    do {
      if (peek(0) < 0) {
        return new Token(Type.UNTERMINATED, "comment", start, null, false);
      }
      if (peek(0) == '/' && peek(1) == '*') {
        advance(2);
        depth++;
      } else if (peek(0) == '*' && peek(1) == '/') {
        advance(2);
        depth--;
      } else {
        advance(1);
      }
    } while (depth > 0);
    return null;
  }

  /** {@code "…"} with {@code ""} for a quote; the position is on the opening quote. */
  private Token identifier(long start) throws IOException {
    advance(1);
    StringBuilder text = new StringBuilder();
    while (true) {
      int c = peek(0);
      if (c < 0) {
        return new Token(Type.UNTERMINATED, "quoted identifier", start, null, false);
      }
      advance(1);
      if (c == '"') {
        if (peek(0) != '"') {
          return new Token(Type.QUOTED_IDENT, text.toString(), start, null, false);
        }
        advance(1);
      }
      append(text, (char) c);
    }
  }

  /** A quoted string constant; the position is on the opening quote. */
  private Token quoted(long start, StringKind kind) throws IOException {
    advance(1);
    StringBuilder text = new StringBuilder();
    boolean backslash = false;
    while (true) {
      int c = peek(0);
      if (c < 0) {
        return new Token(Type.UNTERMINATED, "string constant", start, kind, backslash);
      }
      advance(1);
      if (c == '\'') {
        if (peek(0) != '\'') {
          return new Token(Type.STRING, text.toString(), start, kind, backslash);
        }
        advance(1);
      } else if (c == '\\') {
        if (kind == StringKind.ESCAPE) {
          if (peek(0) < 0) {
            return new Token(Type.UNTERMINATED, "string constant", start, kind, true);
          }
          c = advance(1);
        } else {
          backslash = true;
        }
      }
      append(text, (char) c);
    }
  }

  /** {@code $1}, or a dollar-quoted constant; the position is on the {@code $}. */
  private Token dollar(long start) throws IOException {
    if (isDigit(peek(1))) {
      advance(1);
      StringBuilder digits = new StringBuilder("$");
      while (isDigit(peek(0))) {
        digits.append((char) advance(1));
      }
      return new Token(Type.PARAM, digits.toString(), start, null, false);
    }
    int length = 1;
    if (identifierStart(peek(1))) {
      length = 2;
      while (length <= MAX_TAG && tagPart(peek(length))) {
        length++;
      }
    }
    if (peek(length) != '$') {
      advance(1);
      return new Token(Type.OTHER, "$", start, null, false);
    }
    StringBuilder tag = new StringBuilder();
    for (int i = 0; i <= length; i++) {
      tag.append((char) advance(1));
    }
    String delimiter = tag.toString();
    StringBuilder text = new StringBuilder();
    while (true) {
      if (peek(0) < 0) {
        return new Token(
            Type.UNTERMINATED, "dollar-quoted constant", start, StringKind.DOLLAR, false);
      }
      if (peek(0) == '$' && closes(delimiter)) {
        advance(delimiter.length());
        return new Token(Type.STRING, text.toString(), start, StringKind.DOLLAR, false);
      }
      append(text, (char) advance(1));
    }
  }

  private boolean closes(String delimiter) throws IOException {
    for (int i = 0; i < delimiter.length(); i++) {
      if (peek(i) != delimiter.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  private Token number(long start) throws IOException {
    StringBuilder number = new StringBuilder();
    while (isDigit(peek(0))) {
      number.append((char) advance(1));
    }
    if (peek(0) == '.' && peek(1) != '.') {
      number.append((char) advance(1));
      while (isDigit(peek(0))) {
        number.append((char) advance(1));
      }
    }
    int e = peek(0);
    if ((e == 'e' || e == 'E')
        && (isDigit(peek(1)) || ((peek(1) == '+' || peek(1) == '-') && isDigit(peek(2))))) {
      number.append((char) advance(1));
      number.append((char) advance(1));
      while (isDigit(peek(0))) {
        number.append((char) advance(1));
      }
    }
    return new Token(Type.NUMBER, number.toString(), start, null, false);
  }

  /**
   * Lower-cases A to Z only, as PostgreSQL folds an unquoted identifier in UTF-8: the Kelvin sign
   * is not a k to the server, so it must not be one here.
   */
  static String asciiLower(CharSequence text) {
    StringBuilder out = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      out.append(c >= 'A' && c <= 'Z' ? (char) (c + ('a' - 'A')) : c);
    }
    return out.toString();
  }

  private static void append(StringBuilder text, char c) {
    if (text.length() < KEPT) {
      text.append(c);
    }
  }

  private static boolean identifierStart(int c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
  }

  private static boolean identifierPart(int c) {
    return identifierStart(c) || isDigit(c) || c == '$';
  }

  private static boolean tagPart(int c) {
    return identifierStart(c) || isDigit(c);
  }

  private static boolean isDigit(int c) {
    return c >= '0' && c <= '9';
  }

  /** The character {@code offset} ahead, or -1 past the end. */
  private int peek(int offset) throws IOException {
    while (position + offset >= limit && !end) {
      fill();
    }
    return position + offset < limit ? buffer[position + offset] : -1;
  }

  private int advance(int count) throws IOException {
    int c = -1;
    for (int i = 0; i < count; i++) {
      c = peek(0);
      if (c < 0) {
        return c;
      }
      position++;
      if (c == '\n') {
        line++;
      }
    }
    return c;
  }

  private void fill() throws IOException {
    if (position > 0) {
      System.arraycopy(buffer, position, buffer, 0, limit - position);
      limit -= position;
      position = 0;
    }
    if (limit == buffer.length) {
      buffer = java.util.Arrays.copyOf(buffer, buffer.length * 2);
    }
    int read = in.read(buffer, limit, buffer.length - limit);
    if (read < 0) {
      end = true;
    } else {
      limit += read;
    }
  }
}
