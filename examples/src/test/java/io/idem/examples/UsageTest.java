package io.idem.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UsageTest {

  @TempDir Path dir;

  @Test
  void theUsageBlockChargesOnceAcrossCalls() {
    AtomicInteger charges = new AtomicInteger();
    Usage.Payments payments =
        order -> new Usage.Receipt(order.id(), "ch_" + charges.incrementAndGet());
    Usage.Order order = new Usage.Order("o-1", 7, 1999);

    Usage.Receipt first = Usage.chargeOnce(dir, payments, order);
    Usage.Receipt second = Usage.chargeOnce(dir, payments, order);

    assertThat(first).isEqualTo(new Usage.Receipt("o-1", "ch_1"));
    assertThat(second).isEqualTo(first);
    assertThat(charges).hasValue(1);
  }

  @Test
  void theReadmeShowsTheCompiledUsageBlock() throws Exception {
    Path module = Path.of("").toAbsolutePath(); // surefire runs in the examples folder
    Path readme = module.getParent().resolve("README.md");
    String source = Files.readString(module.resolve("src/main/java/io/idem/examples/Usage.java"));
    String block =
        source.substring(
            source.indexOf("// README:usage:start") + "// README:usage:start".length(),
            source.indexOf("    // README:usage:end"));
    String readmeText = Files.readString(readme);
    for (String line : block.strip().split("\n")) {
      String expected = line.length() >= 4 ? line.substring(4) : line.strip();
      assertThat(readmeText).as("README.md has the usage line").contains(expected.stripTrailing());
    }
  }
}
