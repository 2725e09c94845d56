/**
 * JMH benchmarks of Idem, each measured next to a baseline in the same run; {@link
 * io.idem.bench.RunBenchmarks} runs them and prints every figure as a ratio against its baseline.
 * Never a product dependency.
 */
@NullMarked
package io.idem.bench;

import org.jspecify.annotations.NullMarked;
