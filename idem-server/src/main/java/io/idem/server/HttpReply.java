package io.idem.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;

/**
 * A response as stored for the {@code Idempotency-Key} header: its status and JSON body, replayed
 * as they were.
 */
public record HttpReply(int status, JsonNode body) {

  public HttpReply {
    Objects.requireNonNull(body, "body");
  }
}
