package io.idem.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.idem.Scope;
import io.idem.testkit.SettableClock;
import io.idem.tracker.DeduplicationTracker;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Deduplication trackers over HTTP. */
class TrackerRoutesTest {

  static final String KEY = "key-a-0123456789abcdef";

  @TempDir Path dir;
  private final SettableClock clock = SettableClock.create();
  private IdemServer server;
  private TenantApi api;

  @BeforeEach
  void start() {
    server = ServerTesting.start(dir, clock, KEY, "acme");
    api = new TenantApi(server, KEY);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void markListUnmarkAndClear() throws Exception {
    String t = "/v1/trackers/user:42/saved_jobs";
    TenantApi.Answer empty = api.get(t).expect(200);
    assertThat(empty.body().path("ids").size()).isZero();
    assertThat(empty.body().path("lastModified").isNull()).isTrue();
    assertThat(api.get(t + "/job-1").expect(200).body().path("processed").asBoolean()).isFalse();

    assertThat(api.put(t + "/job-2").expect(200).body().path("changed").asBoolean()).isTrue();
    clock.advance(java.time.Duration.ofSeconds(3));
    Instant changed = clock.instant();
    assertThat(api.put(t + "/job-1").expect(200).body().path("changed").asBoolean()).isTrue();
    assertThat(api.put(t + "/job-1").expect(200).body().path("changed").asBoolean()).isFalse();
    assertThat(api.get(t + "/job-1").expect(200).body().path("processed").asBoolean()).isTrue();

    TenantApi.Answer list = api.get(t).expect(200);
    assertThat(list.body().path("ids").toString()).isEqualTo("[\"job-1\",\"job-2\"]");
    assertThat(Instant.parse(list.text("lastModified"))).isEqualTo(changed);

    assertThat(api.delete(t + "/job-1").expect(200).body().path("changed").asBoolean()).isTrue();
    assertThat(api.delete(t + "/job-1").expect(200).body().path("changed").asBoolean()).isFalse();
    assertThat(api.get(t + "/job-1").expect(200).body().path("processed").asBoolean()).isFalse();

    assertThat(api.delete(t).expect(200).number("cleared")).isEqualTo(1);
    assertThat(api.get(t).expect(200).body().path("ids").size()).isZero();
  }

  @Test
  void theSameTrackerAsJavaSees() throws Exception {
    DeduplicationTracker java =
        server.context().tenantNamed("acme").trackers().tracker("imports", Scope.tenant("acme"));
    java.markProcessed("row-7");
    assertThat(
            api.get("/v1/trackers/tenant:acme/imports/row-7")
                .expect(200)
                .body()
                .path("processed")
                .asBoolean())
        .isTrue();
    api.put("/v1/trackers/tenant=acme/imports/row-8").expect(200);
    assertThat(java.isProcessed("row-8")).isTrue();
  }

  @Test
  void scopesAndTrackersAreIndependent() throws Exception {
    api.put("/v1/trackers/user:1/t/x").expect(200);
    api.put("/v1/trackers/global/t/y").expect(200);
    api.put("/v1/trackers/session:abc/t/z").expect(200);
    assertThat(api.get("/v1/trackers/user:2/t/x").expect(200).body().path("processed").asBoolean())
        .isFalse();
    assertThat(api.get("/v1/trackers/user:1/u/x").expect(200).body().path("processed").asBoolean())
        .isFalse();
    assertThat(api.get("/v1/trackers/global/t").expect(200).body().path("ids").toString())
        .isEqualTo("[\"y\"]");
    assertThat(api.get("/v1/trackers/session:abc/t").expect(200).body().path("ids").toString())
        .isEqualTo("[\"z\"]");
  }

  @Test
  void idsArePathDecodedAndMayHaveSlashes() throws Exception {
    String t = "/v1/trackers/global/files";
    api.put(t + "/a%20b").expect(200);
    api.put(t + "/dir/file.csv").expect(200);
    api.put(t + "/caf%C3%A9").expect(200);
    api.put(t + "/1+1").expect(200);
    assertThat(api.get(t).expect(200).body().path("ids").toString())
        .isEqualTo("[\"1+1\",\"a b\",\"café\",\"dir/file.csv\"]");
    assertThat(api.get(t + "/dir/file.csv").expect(200).body().path("processed").asBoolean())
        .isTrue();
  }

  @Test
  void badScopesTrackersAndIdsAre400sNamingThemAndWriteNothing() throws Exception {
    api.put("/v1/trackers/nobody/t/x").problem(400, "scope");
    api.put("/v1/trackers/user:/t/x").problem(400, "scope");
    api.put("/v1/trackers/:42/t/x").problem(400, "scope");
    api.put("/v1/trackers/User:42/t/x").problem(400, "scope");
    api.put("/v1/trackers/global:1/t/x").problem(400, "scope");
    api.put("/v1/trackers/user:a%01b/t/x").problem(400, "scope");
    api.put("/v1/trackers/user:" + "9".repeat(201) + "/t/x").problem(400, "scope");
    api.put("/v1/trackers/global/bad%20name/x").problem(400, "tracker");
    api.put("/v1/trackers/global/" + "t".repeat(101) + "/x").problem(400, "tracker");
    api.put("/v1/trackers/global/t/a%01b").problem(400, "id");
    api.put("/v1/trackers/global/t/a%00b").expect(400); // refused by Jetty itself (HTML)
    api.put("/v1/trackers/global/t/" + "i".repeat(513)).problem(400, "id");
    api.put("/v1/trackers/global/t/%20").problem(400, "id");
    api.delete("/v1/trackers/nobody/t").problem(400, "scope");
    assertThat(api.get("/v1/trackers/global/t").expect(200).body().path("ids").size()).isZero();
    assertThat(server.context().tenantNamed("acme").setStore().lastModified("global/t")).isEmpty();
  }
}
