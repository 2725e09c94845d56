package io.idem.bench.jobs;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** The peers' versions as pinned in the parent pom (filtered into {@code peers.properties}). */
final class PeerVersions {

  private static final Properties VERSIONS = load();

  private PeerVersions() {}

  /** The version of {@code peer} ({@code db-scheduler}, {@code jobrunr}), or "?". */
  static String of(String peer) {
    return VERSIONS.getProperty(peer, "?");
  }

  private static Properties load() {
    Properties p = new Properties();
    try (InputStream in = PeerVersions.class.getResourceAsStream("peers.properties")) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return p;
  }
}
