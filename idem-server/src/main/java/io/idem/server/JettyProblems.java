package io.idem.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.config.JavalinConfig;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Objects;
import org.eclipse.jetty.http.BadMessageException;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.HttpChannel;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Problem+json for the answers Jetty writes itself, before (or outside) Javalin's routing, instead
 * of Jetty's HTML error pages: a request line, URI or header that Jetty's parser refuses (an
 * encoded NUL, a malformed percent-encoding, a path above the root, a bad or missing {@code Host},
 * headers or URI too long, a bad {@code Content-Length}, an unknown {@code Expect}, an unknown HTTP
 * version) and any error Jetty would render as a page after a dispatch. Each answer is {@code
 * application/problem+json} naming what was bad ({@code field}: {@code uri}, {@code Host}, {@code
 * headers}, ...) and never a stack trace; 5xx details say only that the server failed.
 *
 * <p>How, in Jetty 11: a request refused while it is parsed never reaches a handler; {@code
 * HttpChannel.onBadMessage} tells the connector's {@link HttpChannel.Listener}s of the failure
 * ({@code onRequestFailure}, with the {@link BadMessageException} and its cause) and then asks the
 * server's {@link ErrorHandler} bean for the body ({@code badMessageError(status, reason,
 * fields)}), both on the same thread. The listener keeps the failure in a thread-local that the
 * error handler reads at once (and checks against the status and reason it is given), so the answer
 * can name the cause ("Illegal character in path") and not only Jetty's reason ("Bad Request").
 * {@link #install} sets the handler on the server and on Javalin's servlet context and adds the
 * listener to the connector, which it therefore creates (as Javalin would: one {@link
 * ServerConnector} with an {@link HttpConnectionFactory} on the configured host and port).
 * Thread-safe.
 */
final class JettyProblems {

  private static final Logger log = LoggerFactory.getLogger(JettyProblems.class);

  /** The content type of every answer, as Javalin writes it for the routes' problems. */
  static final String CONTENT_TYPE = "application/problem+json;charset=utf-8";

  /** The longest piece of Jetty's own text (a reason or a cause's message) put in a detail. */
  private static final int MAX_QUOTED = 200;

  private final ObjectMapper mapper;

  /** The failure of the bad message being answered on this thread (see the class comment). */
  private final ThreadLocal<@Nullable BadMessageException> failure = new ThreadLocal<>();

  JettyProblems(ObjectMapper mapper) {
    this.mapper = mapper;
  }

  /** Installs the error handlers and a connector with the failure listener on {@code host:port}. */
  void install(JavalinConfig c, String host, int port) {
    c.jetty.modifyServer(server -> server.setErrorHandler(new ProblemErrorHandler()));
    c.jetty.modifyServletContextHandler(h -> h.setErrorHandler(new ProblemErrorHandler()));
    c.jetty.addConnector(
        (server, http) -> {
          // dispatch when the headers are in, not at the first byte of the body: a request that
          // declares a body over the limit is then answered 413 at once, even if no body comes
          http.setDelayDispatchUntilContent(false);
          ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(http));
          connector.setHost(host);
          connector.setPort(port);
          connector.addBean(new FailureListener());
          return connector;
        });
  }

  /**
   * The problem for a request Jetty refused while parsing it: {@code status} and {@code reason} as
   * Jetty gives them, {@code cause} the exception behind a generic reason (an {@code
   * IllegalArgumentException} from the URI parser), when known.
   */
  static Problem refused(int status, @Nullable String reason, @Nullable Throwable cause) {
    String r = reason == null ? "" : reason.toLowerCase(Locale.ROOT);
    String c = cause == null || cause.getMessage() == null ? "" : cause.getMessage();
    String field = null;
    String detail;
    if (status == HttpStatus.URI_TOO_LONG_414) {
      field = "uri";
      detail = "the request URI is longer than the server accepts";
    } else if (status == HttpStatus.REQUEST_HEADER_FIELDS_TOO_LARGE_431) {
      field = "headers";
      detail = "the request's headers are larger than the server accepts";
    } else if (status == HttpStatus.HTTP_VERSION_NOT_SUPPORTED_505 || r.contains("version")) {
      field = "version";
      detail = "the request's HTTP version is not supported (HTTP/1.0 and HTTP/1.1 are)";
    } else if (status == HttpStatus.EXPECTATION_FAILED_417) {
      field = "Expect";
      detail = "the Expect header asks for something other than 100-continue";
    } else if (r.equals("no host")) {
      field = "Host";
      detail = "the Host header is missing (HTTP/1.1 requires it)";
    } else if (r.contains("duplicate host")) {
      field = "Host";
      detail = "the request has more than one Host header";
    } else if (r.contains("host") || r.contains("authority")) {
      field = "Host";
      detail = "the Host header is not a valid host[:port] for this request";
    } else if (r.contains("transfer-encoding")) {
      field = "Transfer-Encoding";
      detail = "the Transfer-Encoding header is not accepted: " + quote(reason);
    } else if (r.contains("content-length")) {
      field = "Content-Length";
      detail = "the Content-Length header is not valid: " + quote(reason);
    } else if (c.startsWith("!hex") || c.contains("% encoding")) {
      // the URI parser's exceptions come with the generic reason "Bad Request"
      field = "uri";
      detail =
          "the request URI has a malformed percent-encoding (% must be followed by two hex"
              + " digits)";
    } else if (c.contains("Illegal character in path")) {
      field = "uri";
      detail = "the request URI's path has an illegal character (for example an encoded NUL, %00)";
    } else if (c.equals("Bad URI") || r.equals("bad uri")) {
      field = "uri";
      detail =
          "the request URI's path is not a valid absolute path (for example '..' above the root)";
    } else if (!c.isEmpty()) {
      detail = "the request is malformed: " + quote(c);
    } else {
      detail = "the request is malformed: " + quote(reason);
    }
    return new Problem(status, title(status), detail, field);
  }

  /** The problem for an error Jetty renders after a dispatch ({@code sendError}, an exception). */
  static Problem dispatched(int status, @Nullable String message) {
    String detail;
    if (status >= 500) {
      detail = "the server failed; see its log";
    } else if (message == null
        || message.isBlank()
        || message.equals(HttpStatus.getMessage(status))) {
      detail = "the request was refused";
    } else {
      detail = quote(message);
    }
    return new Problem(status, title(status), detail, null);
  }

  /** The title of {@code status}, in the capitalisation of the routes' problems. */
  static String title(int status) {
    return switch (status) {
      case 400 -> "Bad request";
      case 404 -> "Not found";
      case 405 -> "Method not allowed";
      case 413 -> "Content too large";
      case 414 -> "URI too long";
      case 415 -> "Unsupported media type";
      case 417 -> "Expectation failed";
      case 431 -> "Request header fields too large";
      case 500 -> "Internal error";
      case 505 -> "HTTP version not supported";
      default -> {
        String m = HttpStatus.getMessage(status);
        yield m == null ? "HTTP " + status : m;
      }
    };
  }

  /** Jetty's text, without control characters and cut to {@value #MAX_QUOTED} characters. */
  private static String quote(@Nullable String text) {
    if (text == null) {
      return "no reason given";
    }
    StringBuilder sb = new StringBuilder(Math.min(text.length(), MAX_QUOTED));
    for (int i = 0; i < text.length() && sb.length() < MAX_QUOTED; i++) {
      char ch = text.charAt(i);
      sb.append(Character.isISOControl(ch) ? ' ' : ch);
    }
    String s = sb.toString().strip();
    return s.isEmpty() ? "no reason given" : s;
  }

  private byte[] json(Problem p, @Nullable String instance) {
    try {
      return mapper.writeValueAsBytes(p.body(instance));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write a problem as JSON", e);
    }
  }

  /** Hears the failure of a request refused while parsed, just before its answer is written. */
  private final class FailureListener implements HttpChannel.Listener {
    @Override
    public void onRequestFailure(Request request, Throwable f) {
      if (f instanceof BadMessageException b) {
        failure.set(b);
      } else {
        failure.remove();
      }
    }
  }

  /** Jetty's error handler, answering problem+json whatever the request accepts. */
  private final class ProblemErrorHandler extends ErrorHandler {

    ProblemErrorHandler() {
      setShowStacks(false);
      setShowServlet(false);
    }

    /** Every method gets a body (Jetty's default: only GET, POST and HEAD). */
    @Override
    public boolean errorPageForMethod(String method) {
      return true;
    }

    /** A request refused while parsed: there is no request to read, only Jetty's reason. */
    @Override
    public ByteBuffer badMessageError(
        int status, @Nullable String reason, HttpFields.Mutable fields) {
      BadMessageException f = failure.get();
      failure.remove();
      Throwable cause = null;
      if (f != null && f.getCode() == status && Objects.equals(f.getReason(), reason)) {
        cause = f.getCause();
      }
      Problem p = refused(status, reason, cause);
      log.debug("refused a request before routing: {} {} ({})", status, reason, cause, cause);
      if (HttpStatus.hasNoBody(status)) {
        return ByteBuffer.allocate(0);
      }
      fields.put(HttpHeader.CONTENT_TYPE, CONTENT_TYPE);
      return ByteBuffer.wrap(json(p, null));
    }

    /**
     * An error after a dispatch: the status and message Jetty set, never the exception (Jetty has
     * logged it).
     */
    @Override
    protected void generateAcceptableResponse(
        Request baseRequest,
        HttpServletRequest request,
        HttpServletResponse response,
        int code,
        @Nullable String message)
        throws IOException {
      byte[] body = json(dispatched(code, message), request.getRequestURI());
      response.setContentType("application/problem+json");
      response.setCharacterEncoding(StandardCharsets.UTF_8.name());
      response.setContentLength(body.length);
      response.getOutputStream().write(body);
    }
  }
}
