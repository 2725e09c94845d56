package io.idem.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The Lua scripts of {@link RedisIdempotencyStore}, one per atomic step, read from {@code
 * io/idem/redis/*.lua}, with the SHA-1 digest that {@code EVALSHA} names them by.
 */
enum RedisScript {
  CLAIM("claim.lua"),
  COMPLETE("complete.lua"),
  FAIL("fail.lua"),
  EXTEND("extend.lua"),
  DELETE("delete.lua"),
  PURGE("purge.lua");

  private final String resource;
  private final String body;
  private final String sha;

  RedisScript(String resource) {
    this.resource = resource;
    this.body = read(resource);
    this.sha = sha1(body);
  }

  /** The resource's name, for messages. */
  String resource() {
    return resource;
  }

  /** The script's text. */
  String body() {
    return body;
  }

  /** The lower-case hex SHA-1 of the script, as Redis names it. */
  String sha() {
    return sha;
  }

  private static String read(String resource) {
    try (InputStream in = RedisScript.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException(
            "io/idem/redis/" + resource + " is missing from the classpath");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read io/idem/redis/" + resource, e);
    }
  }

  private static String sha1(String text) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-1");
      return HexFormat.of().formatHex(md.digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-1 is not available", e);
    }
  }
}
